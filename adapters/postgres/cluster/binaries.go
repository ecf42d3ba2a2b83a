package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNoBinaries is returned (wrapped) when no usable initdb, pg_ctl and postgres can be found.
var ErrNoBinaries = errors.New("no PostgreSQL binaries found (looked in OTPCARD_PG_BIN, PATH and /usr/lib/postgresql/*/bin): " +
	"install them with `apt-get install -y postgresql` or set OTPCARD_DATABASE_URL")

// debianPattern matches the version directories of Debian's postgresql packages.
const debianPattern = "/usr/lib/postgresql/*/bin"

// FindBinDir returns the directory holding initdb, pg_ctl and postgres.
//
// A non-empty override (OTPCARD_PG_BIN) is the only place looked at. Otherwise the directory of
// pg_ctl on PATH (symbolic links resolved) is used, else the highest /usr/lib/postgresql/*/bin
// that holds all three programs. The error wraps ErrNoBinaries and is a single line.
func FindBinDir(override string) (string, error) {
	if override != "" {
		dir, err := filepath.Abs(override)
		if err == nil && hasBinaries(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("OTPCARD_PG_BIN=%q lacks initdb, pg_ctl or postgres: %w", override, ErrNoBinaries)
	}
	if dir, ok := fromPath(); ok {
		return dir, nil
	}
	if dir, ok := highestDebian(); ok {
		return dir, nil
	}
	return "", ErrNoBinaries
}

// fromPath returns the directory of pg_ctl found on PATH, preferring its symlink target's directory.
func fromPath() (string, bool) {
	p, err := exec.LookPath("pg_ctl")
	if err != nil {
		return "", false
	}
	p, err = filepath.Abs(p)
	if err != nil {
		return "", false
	}
	if real, err := filepath.EvalSymlinks(p); err == nil && hasBinaries(filepath.Dir(real)) {
		return filepath.Dir(real), true
	}
	if hasBinaries(filepath.Dir(p)) {
		return filepath.Dir(p), true
	}
	return "", false
}

// highestDebian returns the newest /usr/lib/postgresql/<version>/bin holding all programs.
func highestDebian() (string, bool) {
	dirs, _ := filepath.Glob(debianPattern)
	sort.Slice(dirs, func(i, j int) bool {
		return versionLess(versionOf(dirs[j]), versionOf(dirs[i]))
	})
	for _, dir := range dirs {
		if hasBinaries(dir) {
			return dir, true
		}
	}
	return "", false
}

// versionOf parses the numeric parts of the version directory above bin ("9.6" -> [9 6]).
func versionOf(binDir string) []int {
	var v []int
	for _, part := range strings.Split(filepath.Base(filepath.Dir(binDir)), ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			n = -1
		}
		v = append(v, n)
	}
	return v
}

// versionLess reports whether version a sorts before version b.
func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// hasBinaries reports whether dir holds executable initdb, pg_ctl and postgres.
func hasBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}
