package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand; safe for concurrent use.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 11, 26, 21, 30, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) now() time.Time               { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) advance(d time.Duration)      { c.ns.Add(int64(d)) }
func allowed(l *limiter, key string) bool         { ok, _ := l.allow(key); return ok }
func waitOf(l *limiter, key string) time.Duration { _, w := l.allow(key); return w }

func TestLimiterBurstThenSmoothRefill(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(5, time.Minute, 100, clock.now)
	for i := range 5 {
		if !allowed(l, "a") {
			t.Fatalf("request %d of the burst: got refused, want allowed", i+1)
		}
	}
	if ok, wait := l.allow("a"); ok || wait != 12*time.Second {
		t.Fatalf("6th request: got %v, wait %v; want refused, wait 12s", ok, wait)
	}
	// Refused requests spend nothing: hammering does not push the next slot further away.
	for range 20 {
		l.allow("a")
	}
	clock.advance(11 * time.Second)
	if ok, wait := l.allow("a"); ok || wait != time.Second {
		t.Fatalf("after 11s: got %v, wait %v; want refused, wait 1s", ok, wait)
	}
	clock.advance(time.Second)
	if !allowed(l, "a") {
		t.Fatal("after 12s: got refused, want one request refilled")
	}
	if allowed(l, "a") {
		t.Fatal("after 12s: got a second request, want exactly one refilled")
	}
	clock.advance(time.Minute)
	for i := range 5 {
		if !allowed(l, "a") {
			t.Fatalf("after a minute idle, request %d: got refused, want the full budget back", i+1)
		}
	}
	if allowed(l, "a") {
		t.Fatal("after a minute idle: got more than the budget, want the burst capped at 5")
	}
}

func TestLimiterKeysAreIndependent(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(2, time.Minute, 100, clock.now)
	l.allow("victim")
	l.allow("victim")
	if allowed(l, "victim") {
		t.Fatal("victim: got allowed past its budget")
	}
	if !allowed(l, "other") || !allowed(l, "other") {
		t.Fatal("other: got refused, want its own full budget")
	}
}

func TestLimiterExactBudgetForUnevenIntervals(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(7, time.Minute, 100, clock.now) // 8.571428571s per request
	n := 0
	for allowed(l, "k") {
		n++
	}
	if n != 7 {
		t.Fatalf("got a burst of %d, want 7", n)
	}
	if got := retryAfterSeconds(waitOf(l, "k")); got != 9 {
		t.Errorf("Retry-After: got %d, want 9 (8.57s rounded up)", got)
	}
}

func TestRetryAfterSecondsRoundsUpToAtLeastOne(t *testing.T) {
	for _, tc := range []struct {
		wait time.Duration
		want int
	}{
		{0, 1}, {time.Nanosecond, 1}, {999 * time.Millisecond, 1}, {time.Second, 1},
		{time.Second + time.Nanosecond, 2}, {12 * time.Second, 12}, {59*time.Second + 1, 60},
	} {
		if got := retryAfterSeconds(tc.wait); got != tc.want {
			t.Errorf("retryAfterSeconds(%v): got %d, want %d", tc.wait, got, tc.want)
		}
	}
}

func TestLimiterSweepForgetsOnlyFullBudgets(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(5, time.Minute, 1000, clock.now)
	for i := range 100 {
		l.allow(fmt.Sprintf("idle-%d", i))
	}
	clock.advance(55 * time.Second)
	for range 5 {
		l.allow("busy") // its budget is full again only at 115s
	}
	clock.advance(5 * time.Second) // the first sweep is due at 60s
	if allowed(l, "busy") {
		t.Fatal("busy: got allowed, want its spent budget remembered across the sweep")
	}
	if got := l.size(); got != 1 {
		t.Errorf("after the sweep: got %d keys, want 1 (only busy)", got)
	}
	clock.advance(2 * time.Minute)
	l.allow("late")
	if got := l.size(); got != 1 {
		t.Errorf("after the next sweep: got %d keys, want 1 (only late)", got)
	}
}

func TestLimiterSizeCapNeverRefusesNewcomers(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(1, time.Minute, 3, clock.now)
	for i := range 50 {
		if !allowed(l, fmt.Sprintf("flood-%d", i)) {
			t.Fatalf("newcomer %d: got refused, want allowed", i)
		}
		if got := l.size(); got > 3 {
			t.Fatalf("got %d keys, want at most 3", got)
		}
	}
}

func TestLimiterConcurrentUseSpendsTheExactBudget(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(100, time.Minute, 1000, clock.now)
	var wg sync.WaitGroup
	var granted [4]atomic.Int64
	for g := range 64 {
		wg.Go(func() {
			for i := range 40 {
				key := g % 4
				if allowed(l, fmt.Sprint(key)) {
					granted[key].Add(1)
				}
				if i%10 == 0 {
					l.allow(fmt.Sprintf("noise-%d-%d", g, i))
				}
			}
		})
	}
	wg.Wait()
	for k := range granted {
		if got := granted[k].Load(); got != 100 {
			t.Errorf("key %d: got %d granted, want exactly 100", k, got)
		}
	}
}

func TestSourceAddress(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer ignores the header", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"trusted peer without header", "10.1.1.1:5000", nil, "10.1.1.1"},
		{"trusted peer names the client", "10.1.1.1:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client-written hops left of the client are ignored", "10.1.1.1:5000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"trusted hops are skipped", "10.1.1.1:5000", []string{"1.2.3.4, 198.51.100.1, 10.2.2.2"}, "198.51.100.1"},
		{"several header lines form one list", "10.1.1.1:5000", []string{"1.2.3.4", "198.51.100.1", "10.2.2.2"}, "198.51.100.1"},
		{"malformed hop keeps the last vouched address", "10.1.1.1:5000", []string{"garbage, 10.2.2.2"}, "10.2.2.2"},
		{"IPv6 loopback proxy", "[::1]:5000", []string{"2001:db8::7"}, "2001:db8::7"},
		{"IPv4-mapped peer", "[::ffff:203.0.113.9]:5000", nil, "203.0.113.9"},
		{"all hops trusted", "10.1.1.1:5000", []string{"10.3.3.3, 10.2.2.2"}, "10.3.3.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := sourceAddress(r, trusted); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestAddressLimitAnswers429 drives the real handler: any route but the operational ones spends
// the address budget, and the refusal is a problem with Retry-After.
func TestAddressLimitAnswers429(t *testing.T) {
	clock := newFakeClock()
	h := NewHandler(Deps{RateLimits: RateLimits{AddressPerMinute: 2, Now: clock.now}})
	get := func(path, peer string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = peer
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for range 2 {
		if w := get("/nowhere", "192.0.2.1:1"); w.Code != http.StatusNotFound {
			t.Fatalf("within the budget: got %d, want 404", w.Code)
		}
	}
	w := get(corePath+"/clients", "192.0.2.1:1")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "30" {
		t.Fatalf("past the budget: got %d, Retry-After %q; want 429, 30", w.Code, w.Header().Get("Retry-After"))
	}
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != 429 || len(p.Errors) != 1 ||
		p.Errors[0].Code != "errors.tooManyRequests" || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("got %s (%v), want a problem with errors.tooManyRequests", w.Body, err)
	}
	for range 5 {
		if w := get("/healthz", "192.0.2.1:1"); w.Code != http.StatusOK {
			t.Fatalf("/healthz: got %d, want 200: never limited", w.Code)
		}
	}
	if w := get("/nowhere", "192.0.2.2:1"); w.Code != http.StatusNotFound {
		t.Errorf("another address: got %d, want 404 (its own budget)", w.Code)
	}
	clock.advance(30 * time.Second)
	if w := get("/nowhere", "192.0.2.1:1"); w.Code != http.StatusNotFound {
		t.Errorf("after Retry-After: got %d, want 404", w.Code)
	}
}

func TestZeroRateLimitsAreOff(t *testing.T) {
	h := NewHandler(Deps{})
	for i := range 100 {
		r := httptest.NewRequest("GET", "/nowhere", nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNotFound {
			t.Fatalf("request %d: got %d, want 404", i+1, w.Code)
		}
	}
}
