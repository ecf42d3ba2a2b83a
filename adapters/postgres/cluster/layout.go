package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
)

// fallbackPrefix starts the name of the directory used when the server user cannot reach DataDir.
const fallbackPrefix = "/var/tmp/otpcard-pg-"

// layout names the files and directories of one cluster.
//
//	<top>/password   superuser password, 0600, owned by this process's user
//	<top>/port       port used last time
//	<top>/lock       serialises Start between processes
//	<home>/data      PostgreSQL data directory, 0700, owned by the server user
//	<home>/log/      server log, 0700, owned by the server user
//
// home is top itself, unless the server user cannot traverse the path to top (e.g. under /root);
// then home is /var/tmp/otpcard-pg-<hash of top>, 0700, owned by the server user.
type layout struct {
	top  string // the requested DataDir, absolute
	home string // parent of data/ and log/
}

func (l layout) passwordFile() string { return filepath.Join(l.top, "password") }
func (l layout) portFile() string     { return filepath.Join(l.top, "port") }
func (l layout) lockFile() string     { return filepath.Join(l.top, "lock") }
func (l layout) pgData() string       { return filepath.Join(l.home, "data") }
func (l layout) logDir() string       { return filepath.Join(l.home, "log") }
func (l layout) logFile() string      { return filepath.Join(l.logDir(), "postgresql.log") }

// prepareLayout creates the directories of a cluster for dataDir, run by user u.
// It never changes the permissions of directories that already exist above dataDir.
func prepareLayout(dataDir string, u osUser, logger *slog.Logger) (layout, error) {
	if dataDir == "" {
		return layout{}, errors.New("cluster: Config.DataDir is empty")
	}
	top, err := filepath.Abs(dataDir)
	if err != nil {
		return layout{}, fmt.Errorf("cluster: data dir %q: %w", dataDir, err)
	}
	if err := os.MkdirAll(filepath.Dir(top), 0o755); err != nil {
		return layout{}, fmt.Errorf("cluster: create parent of %s: %w", top, err)
	}
	// Others may traverse (not list) top when the server user needs to reach data/ inside it.
	mode := os.FileMode(0o700)
	if u.switchTo {
		mode = 0o711
	}
	if err := os.Mkdir(top, mode); err != nil && !errors.Is(err, os.ErrExist) {
		return layout{}, fmt.Errorf("cluster: create %s: %w", top, err)
	}
	if fi, err := os.Stat(top); err != nil || !fi.IsDir() {
		return layout{}, fmt.Errorf("cluster: %s is not a directory", top)
	}
	l := layout{top: top, home: top}
	reachable, err := u.canTraverse(top)
	if err != nil {
		return layout{}, fmt.Errorf("cluster: check access to %s: %w", top, err)
	}
	if !reachable {
		l.home = fallbackDir(top)
		if err := ensureOwnedDir(l.home, u); err != nil {
			return layout{}, err
		}
		logger.Info("PostgreSQL cluster lives outside the data dir: the postgres user cannot reach it",
			"data_dir", top, "cluster_dir", l.home)
	}
	if err := ensureOwnedDir(l.logDir(), u); err != nil {
		return layout{}, err
	}
	return l, nil
}

// fallbackDir returns /var/tmp/otpcard-pg-<first 12 hex digits of sha256(top)>.
func fallbackDir(top string) string {
	sum := sha256.Sum256([]byte(top))
	return fallbackPrefix + hex.EncodeToString(sum[:])[:12]
}

// ensureOwnedDir makes path a 0700 directory owned by u. An existing path must already be a
// real directory owned by u (a directory in /var/tmp could have been planted by someone else).
func ensureOwnedDir(path string, u osUser) error {
	err := os.Mkdir(path, 0o700)
	switch {
	case err == nil:
		if err := u.chown(path); err != nil {
			_ = os.Remove(path)
			return fmt.Errorf("cluster: chown %s: %w", path, err)
		}
		return nil
	case !errors.Is(err, os.ErrExist):
		return fmt.Errorf("cluster: create %s: %w", path, err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("cluster: %s: %w", path, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || st.Uid != u.uid {
		return fmt.Errorf("cluster: %s exists but is not a directory owned by uid %d; remove it", path, u.uid)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(path, 0o700); err != nil {
			return fmt.Errorf("cluster: chmod %s: %w", path, err)
		}
	}
	return nil
}

// ensureDataDir creates the (empty) PostgreSQL data directory before initdb, owned by u.
// initdb itself could not create it when its parent belongs to root.
func ensureDataDir(l layout, u osUser) error {
	return ensureOwnedDir(l.pgData(), u)
}
