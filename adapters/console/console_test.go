package console_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/console"
	appconsole "github.com/otpcard/otpcard/application/console"
	domain "github.com/otpcard/otpcard/domain/console"
)

// memory holds links and sessions in memory, as the database would.
type memory struct {
	mu       sync.Mutex
	links    map[string]domain.Link
	sessions map[string]domain.Session
}

func newMemory() *memory {
	return &memory{links: map[string]domain.Link{}, sessions: map[string]domain.Session{}}
}

func (m *memory) SaveLink(_ context.Context, hash []byte, l domain.Link) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.links[string(hash)] = l
	return nil
}

func (m *memory) RedeemLink(ctx context.Context, hash []byte, fn func(context.Context, *domain.Link) error) error {
	m.mu.Lock()
	l, ok := m.links[string(hash)]
	m.mu.Unlock()
	if !ok {
		return domain.ErrLinkRefused
	}
	if err := fn(ctx, &l); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.links[string(hash)] = l
	return nil
}

func (m *memory) SaveSession(_ context.Context, hash []byte, s domain.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[string(hash)] = s
	return nil
}

func (m *memory) Session(_ context.Context, hash []byte) (domain.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[string(hash)]
	if !ok {
		return domain.Session{}, domain.ErrNoSession
	}
	return s, nil
}

func (m *memory) DeleteSession(_ context.Context, hash []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, string(hash))
	return nil
}

// world is the console's handler over memory, at a clock the test moves.
type world struct {
	h      http.Handler
	signIn *appconsole.SignIn
	now    time.Time
	logs   bytes.Buffer
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{now: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	mem := newMemory()
	w.signIn = appconsole.NewSignIn(mem, mem, func() time.Time { return w.now })
	h, err := console.NewHandler(console.Deps{SignIn: w.signIn, Logger: slog.New(slog.NewTextHandler(&w.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	w.h = h
	return w
}

func (w *world) link(t *testing.T) string {
	t.Helper()
	secret, err := w.signIn.IssueLink(t.Context(), domain.Grant{Subject: "op", Roles: []string{"Helpdesk"}})
	if err != nil {
		t.Fatal(err)
	}
	return string(secret)
}

func (w *world) open(link, remote string) *http.Response {
	req := httptest.NewRequest(http.MethodGet, "/console/sign-in?link="+link, nil)
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	return rec.Result()
}

// TestSignInLinkOnlyFromThisMachine: a link opened from another machine (the TCP peer, whatever
// a forwarding header says) is refused and stays unused; from ::1 or 127.0.0.1 it signs in once.
func TestSignInLinkOnlyFromThisMachine(t *testing.T) {
	w := newWorld(t)
	link := w.link(t)
	req := httptest.NewRequest(http.MethodGet, "/console/sign-in?link="+link, nil)
	req.RemoteAddr = "203.0.113.7:40000"
	req.Header.Set("X-Forwarded-For", "127.0.0.1")
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("remote: %d with cookies %v, want a 403 page and no cookie", rec.Code, rec.Result().Cookies())
	}
	if r := w.open(link, "[::1]:40000"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the same link from ::1: %d, want 303 (the remote attempt did not use it)", r.StatusCode)
	}
	if r := w.open(link, "127.0.0.1:40000"); r.StatusCode != http.StatusForbidden {
		t.Errorf("a second use: %d, want 403", r.StatusCode)
	}
}

// TestSignInLinkExpires: five minutes after it was printed, a link signs nobody in.
func TestSignInLinkExpires(t *testing.T) {
	w := newWorld(t)
	link := w.link(t)
	w.now = w.now.Add(domain.LinkLifetime)
	r := w.open(link, "127.0.0.1:40000")
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "5 minutes") {
		t.Errorf("expired link: %d, want the 403 page that says why links are refused", r.StatusCode)
	}
}

// TestSessionEndsAfterEightHours: the session's cookie signs in until 8 hours after the sign-in.
func TestSessionEndsAfterEightHours(t *testing.T) {
	w := newWorld(t)
	r := w.open(w.link(t), "127.0.0.1:40000")
	cookies := r.Cookies()
	if len(cookies) != 1 || cookies[0].MaxAge != 8*3600 {
		t.Fatalf("cookies %v, want one of 8 hours", cookies)
	}
	home := func() string {
		req := httptest.NewRequest(http.MethodGet, "/console/", nil)
		req.AddCookie(cookies[0])
		rec := httptest.NewRecorder()
		w.h.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	w.now = w.now.Add(8*time.Hour - time.Second)
	if !strings.Contains(home(), ">Sign out<") {
		t.Fatalf("before 8 hours the session has ended")
	}
	w.now = w.now.Add(time.Second)
	if page := home(); strings.Contains(page, ">Sign out<") {
		t.Errorf("after 8 hours the session still signs in")
	}
}
