package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// superuser is the role initdb creates; all connections use it.
const superuser = "otpcard"

// logTailLines is how many server log lines a start failure quotes.
const logTailLines = 20

// server runs initdb and pg_ctl for one data directory.
type server struct {
	binDir    string
	user      osUser
	layout    layout
	ephemeral bool
}

// run executes a PostgreSQL program as the server user and returns its combined output.
func (s server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := s.user.command(ctx, s.layout.home, filepath.Join(s.binDir, name), args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

// initialised reports whether initdb has completed in the data directory.
func (s server) initialised() bool {
	_, err := os.Stat(filepath.Join(s.layout.pgData(), "PG_VERSION"))
	return err == nil
}

// initdb creates the cluster with superuser otpcard and the given password.
func (s server) initdb(ctx context.Context, password string) error {
	if err := ensureDataDir(s.layout, s.user); err != nil {
		return err
	}
	// A copy of the password the server user can read while initdb runs; removed afterwards.
	pwFile, err := os.CreateTemp(s.layout.home, ".initdb-pw-*")
	if err != nil {
		return fmt.Errorf("cluster: password file for initdb: %w", err)
	}
	defer func() { _ = os.Remove(pwFile.Name()) }()
	_, werr := pwFile.WriteString(password + "\n")
	if cerr := pwFile.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("cluster: password file for initdb: %w", werr)
	}
	if err := s.user.chown(pwFile.Name()); err != nil {
		return fmt.Errorf("cluster: password file for initdb: %w", err)
	}
	args := []string{"-D", s.layout.pgData(), "-U", superuser, "--auth=scram-sha-256",
		"--pwfile=" + pwFile.Name(), "-E", "UTF8", "--locale=C"}
	if s.ephemeral {
		args = append(args, "--no-sync")
	}
	if out, err := s.run(ctx, "initdb", args...); err != nil {
		return fmt.Errorf("cluster: initdb %s: %w: %s", s.layout.pgData(), err, lastLines(string(out), logTailLines))
	}
	return nil
}

// status reports whether a postmaster runs on the data directory (pg_ctl status exit code 0).
func (s server) status(ctx context.Context) (bool, error) {
	out, err := s.run(ctx, "pg_ctl", "status", "-D", s.layout.pgData())
	if err == nil {
		return true, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() == 3 {
		return false, nil
	}
	return false, fmt.Errorf("cluster: pg_ctl status: %w: %s", err, strings.TrimSpace(string(out)))
}

// runningPort reads the port of the running postmaster from line 4 of postmaster.pid.
func (s server) runningPort() (int, error) {
	path := filepath.Join(s.layout.pgData(), "postmaster.pid")
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("cluster: read port of running server: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, fmt.Errorf("cluster: %s has no port line", path)
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil || port <= 0 {
		return 0, fmt.Errorf("cluster: %s: bad port line %q", path, lines[3])
	}
	return port, nil
}

// start launches the postmaster on 127.0.0.1:port (TCP only) and waits up to 60 s for it.
func (s server) start(ctx context.Context, port int) error {
	opts := []string{
		"-p " + strconv.Itoa(port),
		"-c listen_addresses=127.0.0.1",
		"-c unix_socket_directories=''",
		"-c max_connections=200",
	}
	if s.ephemeral {
		opts = append(opts, "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")
	}
	out, err := s.run(ctx, "pg_ctl", "-D", s.layout.pgData(), "-w", "-t", "60", "-l", s.layout.logFile(),
		"start", "-o", strings.Join(opts, " "))
	if err != nil {
		return fmt.Errorf("cluster: pg_ctl start on port %d: %w: %s\nlast lines of %s:\n%s", port, err,
			strings.TrimSpace(string(out)), s.layout.logFile(), s.logTail())
	}
	return nil
}

// stop shuts the postmaster down in fast mode and waits for it. A server that is already gone
// (e.g. it crashed or was killed) counts as stopped.
func (s server) stop(ctx context.Context) error {
	out, err := s.run(ctx, "pg_ctl", "-D", s.layout.pgData(), "-m", "fast", "-w", "-t", "60", "stop")
	if err == nil {
		return nil
	}
	if running, serr := s.status(ctx); serr == nil && !running {
		return nil
	}
	return fmt.Errorf("cluster: pg_ctl stop: %w: %s", err, strings.TrimSpace(string(out)))
}

// logTail returns the last lines of the server log.
func (s server) logTail() string {
	b, err := os.ReadFile(s.layout.logFile())
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	return lastLines(string(b), logTailLines)
}

// lastLines returns the last n lines of text.
func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
