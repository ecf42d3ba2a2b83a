package tests

import (
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentReplacesWithOneVersion sends twenty replaces carrying the same version at once:
// exactly one wins, the rest get 409, none 500.
func TestConcurrentReplacesWithOneVersion(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "race")
	tok := rootToken(t)
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			r := s.do(request{method: "POST", path: s.replacePath(f), bearer: tok,
				body: map[string]any{"version": f.version}})
			statuses[i] = r.status
		})
	}
	close(start)
	wg.Wait()
	counts := map[int]int{}
	for _, st := range statuses {
		counts[st]++
	}
	if counts[http.StatusOK] != 1 || counts[http.StatusConflict] != n-1 {
		t.Fatalf("got statuses %v, want 1 x 200 and %d x 409", counts, n-1)
	}
	r := s.do(request{method: "GET", path: s.cardPath(f), bearer: tok})
	mustStatus(t, r, http.StatusOK)
	if got, want := r.json(t)["version"], f.version+1; got != want {
		t.Errorf("version after the race: got %v, want %v", got, want)
	}
	t.Run("in the database", func(t *testing.T) {
		var events int
		if err := s.sql(t).QueryRow(`SELECT count(*) FROM events WHERE type = 'otp-card.replaced' AND credential_ext_id = $1`, f.card).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if events != 1 {
			t.Errorf("replaced events: got %d, want 1", events)
		}
	})
}

// TestConcurrentUnconditionalReplaces sends replaces without a version: every one succeeds and
// the version grows by exactly their number.
func TestConcurrentUnconditionalReplaces(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "serial")
	tok := rootToken(t)
	const n = 10
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			statuses[i] = s.do(request{method: "POST", path: s.replacePath(f), bearer: tok, body: map[string]any{}}).status
		})
	}
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusOK {
			t.Errorf("replace %d: got %d, want 200", i, st)
		}
	}
	r := s.do(request{method: "GET", path: s.cardPath(f), bearer: tok})
	if got, want := r.json(t)["version"], f.version+n; got != want {
		t.Errorf("version: got %v, want %v", got, want)
	}
}
