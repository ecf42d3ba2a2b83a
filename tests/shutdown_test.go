package tests

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpcard/otpcard/bootstrap"
)

// startEmbedded starts the real service graph the way `otpcard serve` does without
// OTPCARD_DATABASE_URL: on its own embedded PostgreSQL cluster in dir. The returned stop function
// is idempotent and also runs at cleanup.
func startEmbedded(t *testing.T, dir string) (*bootstrap.Running, func() error) {
	t.Helper()
	needOwnInstance(t, "an embedded PostgreSQL cluster of its own, stopped under load")
	pepper := make([]byte, 32)
	if _, err := rand.Read(pepper); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"OTPCARD_HTTP_ADDR":        "127.0.0.1:0",
		"OTPCARD_DATA_DIR":         dir,
		"OTPCARD_PG_BIN":           os.Getenv("OTPCARD_PG_BIN"),
		"OTPCARD_JWT_HS256_SECRET": testSecret,
		"OTPCARD_CELL_PEPPER":      b64(pepper),
		"OTPCARD_LOG_LEVEL":        "warn",
		"OTPCARD_RATE_LIMIT":       "off",
	}
	cfg, err := bootstrap.LoadConfig(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if err := cfg.EnsureSecrets(); err != nil {
		t.Fatalf("secrets: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := bootstrap.Start(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatalf("start service: %v", err)
	}
	var (
		once    sync.Once
		stopErr error
	)
	stop := func() error {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			stopErr = r.Stop(ctx)
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	return r, stop
}

// loadResult is the fate of one request of the load.
type loadResult struct {
	status   int
	body     []byte
	err      error
	finished time.Time
}

// TestShutdownUnderLoadDrainsInFlightRequests stops the service while forty replaces (each
// hashing a whole card) are in flight: every one of them gets a complete 200 with its new card,
// the listener refuses new connections as soon as the stop begins, and once the stop returns
// nothing listens any more, neither the API nor the embedded PostgreSQL.
func TestShutdownUnderLoadDrainsInFlightRequests(t *testing.T) {
	r, stop := startEmbedded(t, reachableTempDir(t))
	s := &service{api: newAPI(r.BaseURL(), false)}
	defer s.api.HTTP().CloseIdleConnections()
	f := s.newFixture(t, "drain")
	tok := rootToken(t)
	pgAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(r.EmbeddedDatabasePort()))
	if r.EmbeddedDatabasePort() == 0 {
		t.Fatal("embedded database port: got 0, want the port of the embedded cluster")
	}

	const n = 40
	// One connection per request, so that each request is accepted on its own.
	load := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Minute}
	results := make([]loadResult, n)
	var written, done sync.WaitGroup
	written.Add(n)
	for i := range n {
		done.Go(func() {
			var once sync.Once
			wrote := func() { once.Do(written.Done) }
			defer wrote()
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				WroteRequest: func(httptrace.WroteRequestInfo) { wrote() }})
			body := fmt.Sprintf(`{"modificationComment": "load %d"}`, i)
			req, err := http.NewRequestWithContext(ctx, "POST", s.api.BaseURL()+f.ReplacePath(), strings.NewReader(body))
			if err != nil {
				results[i] = loadResult{err: err, finished: time.Now()}
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := load.Do(req)
			if err != nil {
				results[i] = loadResult{err: err, finished: time.Now()}
				return
			}
			data, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			results[i] = loadResult{status: resp.StatusCode, body: data, err: err, finished: time.Now()}
		})
	}
	written.Wait()
	// Every request is on the wire; wait until the server has taken every connection off the
	// listen queue. A connection still queued when the listener closes is reset by the kernel:
	// it was never accepted, and no server can answer it.
	awaitAcceptQueueEmpty(t, r.Addr().(*net.TCPAddr).Port)

	stopBegan := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// New connections are refused from the moment the stop begins, while the load drains.
	var refusedAt time.Time
	for refusedAt.IsZero() {
		conn, err := net.DialTimeout("tcp", r.Addr().String(), time.Second)
		if err != nil {
			refusedAt = time.Now()
			break
		}
		_ = conn.Close()
		if time.Since(stopBegan) > 10*time.Second {
			t.Fatal("the API still accepts connections 10 s after the stop began")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := <-stopped; err != nil {
		t.Errorf("stop: %v", err)
	}
	stopEnded := time.Now()
	done.Wait()

	var afterRefusal int
	for i, res := range results {
		if res.err != nil {
			t.Errorf("request %d: got %v, want a complete 200", i, res.err)
			continue
		}
		if res.status != http.StatusOK {
			t.Errorf("request %d: got %d, want 200; body %s", i, res.status, res.body)
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(res.body, &m); err != nil {
			t.Errorf("request %d: incomplete body %q: %v", i, res.body, err)
			continue
		}
		otp, _ := m["otp"].(string)
		if got := len(cellsOf(t, otp)); got != defaultLayout.Rows*defaultLayout.Cols {
			t.Errorf("request %d: got a card of %d cells, want %d", i, got, defaultLayout.Rows*defaultLayout.Cols)
		}
		if res.finished.After(refusedAt) {
			afterRefusal++
		}
	}
	t.Logf("stop took %v; new connections refused %v after it began; %d of %d requests completed after that",
		stopEnded.Sub(stopBegan).Round(time.Millisecond), refusedAt.Sub(stopBegan).Round(time.Millisecond), afterRefusal, n)
	if afterRefusal == 0 {
		t.Errorf("no request was still in flight when the listener closed: the test proved nothing about draining")
	}
	for name, addr := range map[string]string{"API": r.Addr().String(), "embedded PostgreSQL": pgAddr} {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = conn.Close()
			t.Errorf("%s at %s: still accepts connections after the stop", name, addr)
		}
	}
}

// awaitAcceptQueueEmpty waits until the listening socket on port has no connection waiting to be
// accepted: on Linux, the rx_queue column of its LISTEN row in /proc/net/tcp is that count.
// Elsewhere it waits a moment instead.
func awaitAcceptQueueEmpty(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		queued, ok := acceptQueue(port)
		if !ok {
			time.Sleep(200 * time.Millisecond)
			return
		}
		if queued == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still wait to be accepted on port %d after 30 s", queued, port)
		}
		time.Sleep(time.Millisecond)
	}
}

// acceptQueue reads the accept queue length of the IPv4 listener on port from /proc/net/tcp.
func acceptQueue(port int) (int, bool) {
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0, false
	}
	suffix := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(data), "\n")[1:] {
		fields := strings.Fields(line)
		// sl local_address rem_address st tx_queue:rx_queue ...; st 0A is LISTEN.
		if len(fields) < 5 || !strings.HasSuffix(fields[1], suffix) || fields[3] != "0A" {
			continue
		}
		_, rx, found := strings.Cut(fields[4], ":")
		n, err := strconv.ParseInt(rx, 16, 64)
		if !found || err != nil {
			return 0, false
		}
		return int(n), true
	}
	return 0, false
}
