package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const modulePath = "github.com/otpcard/otpcard"

// moduleRoot returns the directory of the otpcard module (go list -m).
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", modulePath).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(ee.Stderr))
		}
		return "", fmt.Errorf("find the module root (run from inside the otpcard checkout): %w", err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", errors.New("find the module root: go list -m printed nothing")
	}
	return dir, nil
}

// buildRelease builds the service as a release does (`go build -trimpath`) into bin. It runs
// without the race detector whatever the caller runs under.
func buildRelease(ctx context.Context, root, bin string, trimpath bool) error {
	args := []string{"build"}
	if trimpath {
		args = append(args, "-trimpath")
	}
	args = append(args, "-o", bin, ".")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return b
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// service is the otpcard child process.
type service struct {
	cmd       *exec.Cmd
	pid       int
	baseURL   string
	jwtSecret []byte
	logs      *tailBuffer

	done    chan struct{} // closed when the process has exited
	waitErr error
	stopped sync.Once
}

// startService runs bin against databaseURL on a free local port and waits for /readyz.
func startService(ctx context.Context, bin, dataDir, databaseURL string, extraEnv []string) (*service, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("pick a port for otpcard: %w", err)
	}
	s := &service{
		baseURL:   "http://127.0.0.1:" + strconv.Itoa(port),
		jwtSecret: []byte(hex.EncodeToString(randomBytes(32))),
		logs:      &tailBuffer{max: 64 << 10},
		done:      make(chan struct{}),
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OTPCARD_") && !strings.HasPrefix(kv, "OTEL_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"OTPCARD_DATABASE_URL="+databaseURL,
		"OTPCARD_CELL_PEPPER="+base64.StdEncoding.EncodeToString(randomBytes(32)),
		"OTPCARD_JWT_HS256_SECRET="+string(s.jwtSecret),
		"OTPCARD_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"OTPCARD_DATA_DIR="+dataDir,
		"OTPCARD_RATE_LIMIT=off",
		"OTPCARD_LOG_LEVEL=warn",
	)
	env = append(env, extraEnv...) // later entries win in os/exec
	// Not CommandContext: the process gets SIGTERM from stop, not SIGKILL from a cancelled context.
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = env
	s.cmd.Dir = dataDir
	s.cmd.Stdout = s.logs
	s.cmd.Stderr = s.logs
	// Its own process group keeps a terminal's Ctrl-C away from it until we stop it; Pdeathsig
	// stops it should this process die without cleaning up.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start otpcard: %w", err)
	}
	s.pid = s.cmd.Process.Pid
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx, 90*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls /readyz until it answers 200.
func (s *service) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.baseURL+"/readyz", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("otpcard exited before it was ready (%v); its output:\n%s", s.waitErr, s.logs)
		case <-ctx.Done():
			return fmt.Errorf("otpcard not ready within %s: %w; its output:\n%s", timeout, ctx.Err(), s.logs)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// running reports whether the process is still alive.
func (s *service) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM, waits up to 30 s for a clean exit, then kills. It is idempotent and
// returns an error when the exit was not clean.
func (s *service) stop() error {
	var err error
	s.stopped.Do(func() {
		if !s.running() {
			err = fmt.Errorf("otpcard had exited on its own (%v)", s.waitErr)
			return
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
			if s.waitErr != nil {
				err = fmt.Errorf("otpcard exit after SIGTERM: %w", s.waitErr)
			}
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
			err = errors.New("otpcard did not stop within 30 s of SIGTERM; killed")
		}
	})
	return err
}

// ensureDir creates dir (mode perm) and returns it.
func ensureDir(dir string, perm os.FileMode) (string, error) {
	if err := os.MkdirAll(dir, perm); err != nil {
		return "", err
	}
	return dir, os.Chmod(dir, perm)
}

// pgDataDir is where the cluster keeps PostgreSQL's data when its DataDir is reachable by the
// server user (see cluster's layout): <DataDir>/data.
func pgDataDir(clusterDir string) string { return filepath.Join(clusterDir, "data") }
