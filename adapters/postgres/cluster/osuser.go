package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// serverUserName is the OS account that runs PostgreSQL when this process runs as root.
const serverUserName = "postgres"

// osUser is the account the PostgreSQL programs run as. With switchTo false it stands for
// "the current user"; no credentials are switched then.
type osUser struct {
	switchTo bool     // true when running as root: switch to the account below
	name     string   // account name, for messages
	uid      uint32   // user id
	gid      uint32   // primary group id
	groups   []uint32 // supplementary group ids
}

// serverUser returns the account to run initdb, pg_ctl and postgres as.
func serverUser() (osUser, error) {
	if os.Geteuid() != 0 {
		return osUser{uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}, nil
	}
	u, err := user.Lookup(serverUserName)
	if err != nil {
		return osUser{}, fmt.Errorf("running as root, PostgreSQL must run as the %q OS user, which does not exist "+
			"(install the postgresql package or run as a non-root user): %w", serverUserName, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return osUser{}, fmt.Errorf("user %q: bad uid %q: %w", serverUserName, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return osUser{}, fmt.Errorf("user %q: bad gid %q: %w", serverUserName, u.Gid, err)
	}
	res := osUser{switchTo: true, name: serverUserName, uid: uint32(uid), gid: uint32(gid)}
	ids, _ := u.GroupIds()
	for _, id := range ids {
		if g, err := strconv.ParseUint(id, 10, 32); err == nil {
			res.groups = append(res.groups, uint32(g))
		}
	}
	return res, nil
}

// command builds a command that runs as this user, in its own process group (so a terminal's
// SIGINT does not reach the server before we stop it), in directory dir, without PG* variables.
func (u osUser) command(ctx context.Context, dir, path string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if u.switchTo {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: u.groups}
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// chown gives path to this user; a no-op when no credentials are switched.
func (u osUser) chown(path string) error {
	if !u.switchTo {
		return nil
	}
	return os.Lchown(path, int(u.uid), int(u.gid))
}

// inGroup reports whether gid is the user's primary or a supplementary group.
func (u osUser) inGroup(gid uint32) bool {
	if gid == u.gid {
		return true
	}
	for _, g := range u.groups {
		if g == gid {
			return true
		}
	}
	return false
}

// canTraverse reports whether the user may search (execute) every existing directory from the
// root down to path. Components that do not exist yet are assumed to be created by us, reachable.
func (u osUser) canTraverse(path string) (bool, error) {
	if !u.switchTo {
		return true, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false, err
	}
	cur := string(filepath.Separator)
	parts := strings.Split(strings.TrimPrefix(abs, cur), string(filepath.Separator))
	for i := -1; i < len(parts); i++ {
		if i >= 0 {
			if parts[i] == "" {
				continue
			}
			cur = filepath.Join(cur, parts[i])
		}
		fi, err := os.Stat(cur)
		if errors.Is(err, os.ErrNotExist) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if !u.mayExecute(fi) {
			return false, nil
		}
	}
	return true, nil
}

// mayExecute applies the owner/group/other execute bits of fi the way the kernel does.
func (u osUser) mayExecute(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == u.uid:
		return perm&0o100 != 0
	case u.inGroup(st.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
