package credential_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
)

// The cards of these tests have 2 rows of 3 cells of four crockford32 characters, labelled A1 to
// C2; lockoutCells are their cells in clear, which the fake verify function compares with.
var (
	lockoutLayout = credential.Layout{Rows: 2, Cols: 3, CellLength: 4, Charset: credential.CharsetCrockford32, Coordinate: true}
	lockoutCells  = []string{"01AB", "CDEF", "GHJK", "MNPQ", "RSTV", "WXYZ"}
	lockoutLabels = []string{"A1", "B1", "C1", "A2", "B2", "C2"}
	// lockoutDefaults are the locking rules of the default policy: 3 failures, tmp-lock at 2 for 60 s, strict.
	lockoutDefaults = credential.DefaultParameters().Lockout()
)

// lockoutSnapshot is a card of lockoutLayout in state at version 10, valid from t0-24h to
// t0+30 days, with some history, the use counts given (nil: none used) and no challenge.
func lockoutSnapshot(state credential.State, uses []int) credential.Snapshot {
	if uses == nil {
		uses = make([]int, lockoutLayout.Cells())
	}
	return credential.Snapshot{
		ExtID: "card-1", ClientExtID: "client-a", UserExtID: "user-a", PolicyExtID: "policy-a",
		State: state, StateChangeReason: credential.ReasonInitialized, StateChangeDetail: "detail",
		ValidFrom: t0.Add(-24 * time.Hour), ValidTo: t0.Add(30 * 24 * time.Hour),
		LastSuccessfulLogin: t0.Add(-2 * time.Hour), SuccessfulLoginCount: 7,
		ModificationComment: "comment",
		Created:             t0.Add(-24 * time.Hour), LastModified: t0.Add(-time.Hour), Version: 10,
		Grid:      credential.RestoreGrid(lockoutLayout, testSecret(lockoutLayout.Cells(), 1), slices.Clone(uses)),
		Challenge: nil,
	}
}

func lockoutCard(state credential.State, uses []int) *credential.OTPCard {
	return credential.RestoreOTPCard(lockoutSnapshot(state, uses))
}

// fakeVerify compares the canonical answer with the cell in clear, and counts its calls.
type fakeVerify struct {
	cells   []string
	calls   int
	indexes []int
}

func (v *fakeVerify) verify(i int, canonical string) bool {
	v.calls++
	v.indexes = append(v.indexes, i)
	return canonical == v.cells[i]
}

func newVerify() *fakeVerify { return &fakeVerify{cells: lockoutCells} }

// drawFirst always draws the first candidate cell.
func drawFirst(int) (int, error) { return 0, nil }

func lockoutRules(maxFailures, threshold int, d time.Duration, mode credential.LockingMode) credential.Lockout {
	return credential.Lockout{MaxFailures: maxFailures, TmpThreshold: threshold, TmpDuration: d, Mode: mode}
}

// attempt is one step of a lockout scenario: at t0+at, ask for a challenge and answer it.
type attempt struct {
	at     time.Duration
	right  bool
	status int   // the statusCode wanted; 0 when err is wanted
	err    error // wanted from IssueChallenge and from Login: the card is locked
	state  credential.State
	failed int32 // failedLoginCount after the step
}

const ms = time.Millisecond

func TestLockoutScenarios(t *testing.T) {
	const (
		active = credential.StateActive
		tmp    = credential.StateTmpLocked
		fail   = credential.StateFailLocked
	)
	locked := credential.ErrLocked
	strict, threshold := credential.LockingStrict, credential.LockingThreshold
	s := time.Second
	tests := []struct {
		name  string
		start credential.State
		lock  credential.Lockout
		steps []attempt
	}{
		{"defaults: tmp-lock at 2, the fail-lock overtakes the strict re-lock at 3", active, lockoutDefaults, []attempt{
			{0, false, 3, nil, active, 1},
			{1 * s, false, 9, nil, tmp, 2},
			{61*s - ms, false, 0, locked, tmp, 2},
			{61 * s, false, 4, nil, fail, 3},
			{24 * time.Hour, true, 0, locked, fail, 3},
		}},
		{"strict: after a lock ends the next failure locks again", active, lockoutRules(10, 2, time.Minute, strict), []attempt{
			{0, false, 3, nil, active, 1},
			{1 * s, false, 9, nil, tmp, 2},
			{61*s - ms, true, 0, locked, tmp, 2},
			{61 * s, false, 9, nil, tmp, 3},
			{121*s - ms, false, 0, locked, tmp, 3},
			{121 * s, false, 9, nil, tmp, 4},
			{181 * s, true, 5, nil, active, 0},
			{182 * s, false, 3, nil, active, 1},
			{183 * s, false, 9, nil, tmp, 2},
		}},
		{"strict: re-locks until the fail-lock", active, lockoutRules(5, 2, time.Minute, strict), []attempt{
			{0, false, 3, nil, active, 1},
			{1 * s, false, 9, nil, tmp, 2},
			{61 * s, false, 9, nil, tmp, 3},
			{121 * s, false, 9, nil, tmp, 4},
			{181*s - ms, false, 0, locked, tmp, 4},
			{181 * s, false, 4, nil, fail, 5},
		}},
		{"threshold: every further 3 failures lock again", active, lockoutRules(10, 3, time.Minute, threshold), []attempt{
			{0, false, 2, nil, active, 1},
			{1 * s, false, 3, nil, active, 2},
			{2 * s, false, 9, nil, tmp, 3},
			{62*s - ms, false, 0, locked, tmp, 3},
			{62 * s, false, 2, nil, active, 4},
			{63 * s, false, 3, nil, active, 5},
			{64 * s, false, 9, nil, tmp, 6},
			{124 * s, false, 2, nil, active, 7},
			{125 * s, false, 3, nil, active, 8},
			{126 * s, false, 9, nil, tmp, 9},
			{186 * s, false, 4, nil, fail, 10},
		}},
		{"threshold: a success after a lock starts counting again", active, lockoutRules(10, 2, time.Minute, threshold), []attempt{
			{0, false, 3, nil, active, 1},
			{1 * s, false, 9, nil, tmp, 2},
			{61 * s, true, 5, nil, active, 0},
			{62 * s, false, 3, nil, active, 1},
			{63 * s, false, 9, nil, tmp, 2},
		}},
		{"threshold: the fail-lock overtakes a tmp-lock due at the same failure", active, lockoutRules(4, 2, time.Minute, threshold), []attempt{
			{0, false, 3, nil, active, 1},
			{1 * s, false, 9, nil, tmp, 2},
			{61 * s, false, 3, nil, active, 3},
			{62 * s, false, 4, nil, fail, 4},
		}},
		{"strict: the fail-lock overtakes the first tmp-lock", active, lockoutRules(2, 2, time.Minute, strict), []attempt{
			{0, false, 3, nil, active, 1},
			{1 * s, false, 4, nil, fail, 2},
		}},
		{"tmp-locking off (-1), strict", active, lockoutRules(3, -1, time.Minute, strict), []attempt{
			{0, false, 2, nil, active, 1},
			{1 * s, false, 3, nil, active, 2},
			{2 * s, false, 4, nil, fail, 3},
			{time.Hour, true, 0, locked, fail, 3},
		}},
		{"tmp-locking off (-1), threshold", active, lockoutRules(5, -1, time.Minute, threshold), []attempt{
			{0, false, 2, nil, active, 1},
			{1 * s, false, 2, nil, active, 2},
			{2 * s, false, 2, nil, active, 3},
			{3 * s, false, 3, nil, active, 4},
			{4 * s, false, 4, nil, fail, 5},
		}},
		{"one failure allowed", active, lockoutRules(1, 2, time.Minute, strict), []attempt{
			{0, false, 4, nil, fail, 1},
		}},
		{"threshold above the maximum never tmp-locks", active, lockoutRules(3, 5, time.Minute, strict), []attempt{
			{0, false, 2, nil, active, 1},
			{1 * s, false, 3, nil, active, 2},
			{2 * s, false, 4, nil, fail, 3},
		}},
		{"threshold 1, strict: every failure locks", active, lockoutRules(3, 1, time.Minute, strict), []attempt{
			{0, false, 9, nil, tmp, 1},
			{60*s - ms, false, 0, locked, tmp, 1},
			{60 * s, false, 9, nil, tmp, 2},
			{120 * s, false, 4, nil, fail, 3},
		}},
		{"threshold 1, threshold mode: every failure locks", active, lockoutRules(3, 1, time.Minute, threshold), []attempt{
			{0, false, 9, nil, tmp, 1},
			{60 * s, false, 9, nil, tmp, 2},
			{120 * s, false, 4, nil, fail, 3},
		}},
		{"shortest lock (1 s), boundaries to the millisecond", active, lockoutRules(5, 2, time.Second, strict), []attempt{
			{0, false, 3, nil, active, 1},
			{10 * ms, false, 9, nil, tmp, 2},
			{1009 * ms, true, 0, locked, tmp, 2},
			{1010 * ms, true, 5, nil, active, 0},
		}},
		{"longest lock (24 h)", active, lockoutRules(5, 2, 24*time.Hour, strict), []attempt{
			{0, false, 3, nil, active, 1},
			{0, false, 9, nil, tmp, 2},
			{24*time.Hour - ms, true, 0, locked, tmp, 2},
			{24 * time.Hour, true, 5, nil, active, 0},
		}},
		{"a success resets the failure count before any lock", active, lockoutDefaults, []attempt{
			{0, false, 3, nil, active, 1},
			{1 * s, true, 5, nil, active, 0},
			{2 * s, false, 3, nil, active, 1},
			{3 * s, false, 9, nil, tmp, 2},
		}},
		{"an initial card locks and activates on its first success", credential.StateInitial, lockoutDefaults, []attempt{
			{0, false, 3, nil, credential.StateInitial, 1},
			{1 * s, false, 9, nil, tmp, 2},
			{61 * s, true, 5, nil, active, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := lockoutCard(tt.start, nil)
			var lockedUntil time.Time
			for i, a := range tt.steps {
				now := t0.Add(a.at)
				step := fmt.Sprintf("step %d at t0+%v", i, a.at)
				before := card.Snapshot()
				ch, err := card.IssueChallenge(now, credential.ChallengeRules{Size: 1}, drawFirst)
				if a.err != nil {
					if !errors.Is(err, a.err) {
						t.Fatalf("%s: IssueChallenge: got %v, want an error wrapping %v", step, err, a.err)
					}
					v := newVerify()
					if _, err := card.Login("A1", lockoutCells[0], v.verify, tt.lock, true, now); !errors.Is(err, a.err) {
						t.Fatalf("%s: Login: got %v, want an error wrapping %v", step, err, a.err)
					}
					if got := card.Snapshot(); !reflect.DeepEqual(got, before) {
						t.Fatalf("%s: a locked card changed:\n got %+v\nwant %+v", step, got, before)
					}
					if v.calls != 0 {
						t.Errorf("%s: verify: got %d calls, want none on a locked card", step, v.calls)
					}
					continue
				}
				if err != nil || ch.Label == "" {
					t.Fatalf("%s: IssueChallenge: got %+v, %v; want a challenge", step, ch, err)
				}
				answer := "ZZZZ"
				if a.right {
					answer = lockoutCells[slices.Index(lockoutLabels, ch.Label)]
				}
				res, err := card.Login(ch.Label, answer, newVerify().verify, tt.lock, true, now)
				if err != nil {
					t.Fatalf("%s: Login: got error %v, want status %d", step, err, a.status)
				}
				if res.StatusCode != a.status {
					t.Fatalf("%s: statusCode: got %d, want %d", step, res.StatusCode, a.status)
				}
				if wantLocked := a.status == credential.StatusFailLocked || a.status == credential.StatusTmpLocked; res.Locked != wantLocked {
					t.Errorf("%s: Locked: got %v, want %v", step, res.Locked, wantLocked)
				}
				if res.Succeeded() != (a.status == credential.StatusLoginOK) {
					t.Errorf("%s: Succeeded: got %v for status %d", step, res.Succeeded(), a.status)
				}
				got := card.Snapshot()
				if a.status == credential.StatusTmpLocked {
					lockedUntil = now.Add(tt.lock.TmpDuration)
				}
				checkLockState(t, step, got, a.state, a.failed, lockedUntil)
				if a.status != credential.StatusLoginOK && !got.LastFailedLogin.Equal(now) {
					t.Errorf("%s: LastFailedLogin: got %v, want %v", step, got.LastFailedLogin, now)
				}
				if got.Version != before.Version+2 || !got.LastModified.Equal(now) {
					t.Errorf("%s: version, lastModified: got %d, %v; want %d, %v (a challenge and a login)",
						step, got.Version, got.LastModified, before.Version+2, now)
				}
			}
		})
	}
}

// checkLockState checks the state, failure count, lock end and reason after a login.
func checkLockState(t *testing.T, step string, got credential.Snapshot, state credential.State, failed int32, lockedUntil time.Time) {
	t.Helper()
	if got.State != state || got.FailedLoginCount != failed {
		t.Errorf("%s: state, failedLoginCount: got %s, %d; want %s, %d", step, got.State, got.FailedLoginCount, state, failed)
	}
	wantUntil, wantReason := time.Time{}, ""
	switch state {
	case credential.StateTmpLocked:
		wantUntil, wantReason = lockedUntil, credential.ReasonTemporarilyLocked
	case credential.StateFailLocked:
		wantReason = credential.ReasonTooManyFailures
	}
	if !got.LockedUntil.Equal(wantUntil) {
		t.Errorf("%s: LockedUntil: got %v, want %v", step, got.LockedUntil, wantUntil)
	}
	if wantReason != "" && got.StateChangeReason != wantReason {
		t.Errorf("%s: StateChangeReason: got %q, want %q", step, got.StateChangeReason, wantReason)
	}
	if got.Challenge != nil {
		t.Errorf("%s: Challenge: got %v, want it consumed", step, got.Challenge)
	}
}

// TestLockoutStatusCodesMeanWhatTheySay runs consecutive failures (waiting out every temporary
// lock) under every small policy and checks API.md section 6: 3 exactly when the next failure
// locks, 2 exactly when it does not, 9 for a tmp-lock, 4 once at maxCredFailureCount.
func TestLockoutStatusCodesMeanWhatTheySay(t *testing.T) {
	for _, mode := range []credential.LockingMode{credential.LockingStrict, credential.LockingThreshold} {
		for maxFailures := 1; maxFailures <= 8; maxFailures++ {
			for _, threshold := range []int{-1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99} {
				name := fmt.Sprintf("%s/max%d/threshold%d", mode, maxFailures, threshold)
				lock := lockoutRules(maxFailures, threshold, time.Minute, mode)
				card := lockoutCard(credential.StateActive, nil)
				now := t0
				var codes []int
				for len(codes) == 0 || codes[len(codes)-1] != credential.StatusFailLocked {
					if len(codes) > maxFailures {
						t.Fatalf("%s: got %v and still no fail-lock, want it after %d failures", name, codes, maxFailures)
					}
					ch, err := card.IssueChallenge(now, credential.ChallengeRules{Size: 1}, drawFirst)
					if err != nil {
						t.Fatalf("%s: IssueChallenge after %v: %v", name, codes, err)
					}
					res, err := card.Login(ch.Label, "ZZZZ", newVerify().verify, lock, true, now)
					if err != nil {
						t.Fatalf("%s: Login after %v: %v", name, codes, err)
					}
					codes = append(codes, res.StatusCode)
					now = now.Add(time.Minute) // every lock has ended at the next attempt
				}
				if len(codes) != maxFailures {
					t.Errorf("%s: got the fail-lock after %d failures (%v), want %d", name, len(codes), codes, maxFailures)
				}
				tmpLocks := 0
				for i, code := range codes[:len(codes)-1] {
					nextLocks := codes[i+1] == credential.StatusTmpLocked || codes[i+1] == credential.StatusFailLocked
					switch code {
					case credential.StatusFailed, credential.StatusFailedLastTry:
						if (code == credential.StatusFailedLastTry) != nextLocks {
							t.Errorf("%s: failure %d got %d, but the next one gives %d (%v)", name, i+1, code, codes[i+1], codes)
						}
					case credential.StatusTmpLocked:
						tmpLocks++
					default:
						t.Errorf("%s: failure %d: got status %d, want 2, 3 or 9 (%v)", name, i+1, code, codes)
					}
				}
				want := 0 // failures 1..max-1 that reach the threshold
				for n := 1; n < maxFailures; n++ {
					if threshold > 0 && (mode == credential.LockingStrict && n >= threshold || mode == credential.LockingThreshold && n%threshold == 0) {
						want++
					}
				}
				if tmpLocks != want {
					t.Errorf("%s: got %d tmp-locks (%v), want %d", name, tmpLocks, codes, want)
				}
			}
		}
	}
}

func TestLockoutExpiryResumesThePreviousState(t *testing.T) {
	for _, start := range []credential.State{credential.StateInitial, credential.StateActive} {
		t.Run(string(start), func(t *testing.T) {
			card := lockoutCard(start, nil)
			for _, at := range []time.Duration{0, time.Second} {
				ch, err := card.IssueChallenge(t0.Add(at), credential.ChallengeRules{Size: 1}, drawFirst)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := card.Login(ch.Label, "ZZZZ", newVerify().verify, lockoutDefaults, true, t0.Add(at)); err != nil {
					t.Fatal(err)
				}
			}
			if got := card.Snapshot(); got.State != credential.StateTmpLocked || got.ResumeState != start {
				t.Fatalf("state, resume state: got %s, %s; want tmp-locked, %s", got.State, got.ResumeState, start)
			}
			version := card.Version()
			end := t0.Add(61 * time.Second)
			ch, err := card.IssueChallenge(end, credential.ChallengeRules{Size: 1}, drawFirst)
			if err != nil || !ch.New {
				t.Fatalf("IssueChallenge when the lock ends: got %+v, %v; want a new challenge", ch, err)
			}
			got := card.Snapshot()
			if got.State != start || got.StateChangeReason != credential.ReasonLockExpired {
				t.Errorf("state, reason: got %s, %q; want %s, %q", got.State, got.StateChangeReason, start, credential.ReasonLockExpired)
			}
			if !got.LockedUntil.IsZero() || got.ResumeState != "" || got.FailedLoginCount != 2 {
				t.Errorf("lockedUntil, resume state, failures: got %v, %q, %d; want zero, empty, 2 (kept)",
					got.LockedUntil, got.ResumeState, got.FailedLoginCount)
			}
			if got.Version != version+1 {
				t.Errorf("version: got %d, want %d (the new challenge)", got.Version, version+1)
			}
		})
	}
}

func TestLockoutLoginSuccess(t *testing.T) {
	for _, start := range []credential.State{credential.StateInitial, credential.StateActive} {
		for _, update := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/updateLoginInfo=%v", start, update), func(t *testing.T) {
				snap := lockoutSnapshot(start, []int{0, 1, 0, 0, 0, 0})
				snap.FailedLoginCount = 2
				snap.LastFailedLogin = t0.Add(-time.Minute)
				card := credential.RestoreOTPCard(snap)
				ch, err := card.IssueChallenge(t0, credential.ChallengeRules{Size: 1}, drawFirst) // A1
				if err != nil || ch.Label != "A1" {
					t.Fatalf("IssueChallenge: got %+v, %v; want A1", ch, err)
				}
				now := t0.Add(time.Second)
				v := newVerify()
				res, err := card.Login("A1", "01AB", v.verify, lockoutDefaults, update, now)
				if err != nil || res != (credential.LoginResult{StatusCode: credential.StatusLoginOK}) {
					t.Fatalf("Login: got %+v, %v; want status 5", res, err)
				}
				want := snap
				want.Grid = credential.RestoreGrid(lockoutLayout, snap.Grid.Secret(), []int{1, 1, 0, 0, 0, 0})
				want.FailedLoginCount, want.Version, want.LastModified = 0, 12, now
				if start == credential.StateInitial {
					want.State, want.StateChangeReason, want.StateChangeDetail = credential.StateActive, credential.ReasonActivated, ""
				}
				if update {
					want.SuccessfulLoginCount, want.LastSuccessfulLogin = 8, now
				}
				if got := card.Snapshot(); !reflect.DeepEqual(got, want) {
					t.Errorf("after a success:\n got %+v\nwant %+v", got, want)
				}
				if got := card.RemainingChallenges(); got != 4 {
					t.Errorf("RemainingChallenges: got %d, want 4", got)
				}
				if !slices.Equal(v.indexes, []int{0}) {
					t.Errorf("verify: got calls for cells %v, want [0]", v.indexes)
				}
			})
		}
	}
}

func TestLockoutLoginFailureConsumesTheChallenge(t *testing.T) {
	card := lockoutCard(credential.StateActive, nil)
	if _, err := card.IssueChallenge(t0, credential.ChallengeRules{Size: 1}, drawFirst); err != nil {
		t.Fatal(err)
	}
	before := card.Snapshot()
	now := t0.Add(time.Second)
	res, err := card.Login("A1", "01AC", newVerify().verify, lockoutDefaults, true, now)
	if err != nil || res.StatusCode != credential.StatusFailedLastTry {
		t.Fatalf("Login: got %+v, %v; want status 3", res, err)
	}
	want := before
	want.Challenge, want.FailedLoginCount, want.LastFailedLogin = nil, 1, now
	want.Version, want.LastModified = before.Version+1, now
	if got := card.Snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("after a failure:\n got %+v\nwant %+v", got, want)
	}
	if _, err := card.Login("A1", "01AB", newVerify().verify, lockoutDefaults, true, now); !errors.Is(err, credential.ErrNoChallenge) {
		t.Errorf("second answer to the consumed challenge: got %v, want ErrNoChallenge", err)
	}
}

func TestLockoutLabels(t *testing.T) {
	tests := []struct {
		name, label, answer string
		want                int
	}{
		{"right label", "A1", "01AB", credential.StatusLoginOK},
		{"label in lower case", "a1", "01AB", credential.StatusLoginOK},
		{"another label with the challenge's cell", "B1", "01AB", credential.StatusFailedLastTry},
		{"another label with its own cell", "B1", "CDEF", credential.StatusFailedLastTry},
		{"empty label", "", "01AB", credential.StatusFailedLastTry},
		{"label of another format", "001", "01AB", credential.StatusFailedLastTry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := lockoutCard(credential.StateActive, nil)
			if ch, err := card.IssueChallenge(t0, credential.ChallengeRules{Size: 1}, drawFirst); err != nil || ch.Label != "A1" {
				t.Fatalf("IssueChallenge: got %+v, %v; want A1", ch, err)
			}
			v := newVerify()
			res, err := card.Login(tt.label, tt.answer, v.verify, lockoutDefaults, true, t0)
			if err != nil || res.StatusCode != tt.want {
				t.Fatalf("Login(%q, %q): got %+v, %v; want status %d", tt.label, tt.answer, res, err, tt.want)
			}
			// The challenge's cell is verified whatever the label, so a wrong label costs the same time.
			if !slices.Equal(v.indexes, []int{0}) {
				t.Errorf("verify: got calls for cells %v, want exactly [0]", v.indexes)
			}
			wantFailed := int32(1)
			if tt.want == credential.StatusLoginOK {
				wantFailed = 0
			}
			if got := card.Snapshot().FailedLoginCount; got != wantFailed {
				t.Errorf("failedLoginCount: got %d, want %d", got, wantFailed)
			}
		})
	}
}

func TestLockoutAnswerCharsets(t *testing.T) {
	digits := credential.Layout{Rows: 1, Cols: 2, CellLength: 6, Charset: credential.CharsetDigits}
	tests := []struct {
		name   string
		layout credential.Layout
		cell   string
		answer string
		ok     bool
	}{
		{"crockford as printed", lockoutLayout, "01AB", "01AB", true},
		{"crockford lower case", lockoutLayout, "01AB", "01ab", true},
		{"crockford O as 0, I as 1", lockoutLayout, "01AB", "OIAB", true},
		{"crockford o as 0, l as 1", lockoutLayout, "01AB", "olab", true},
		{"crockford L as 1, mixed case", lockoutLayout, "01AB", "OLaB", true},
		{"crockford i as 1", lockoutLayout, "01AB", "0iAb", true},
		{"crockford surrounding spaces", lockoutLayout, "01AB", " 01AB\t", true},
		{"crockford wrong character", lockoutLayout, "01AB", "01AC", false},
		{"crockford too short", lockoutLayout, "01AB", "01A", false},
		{"crockford too long", lockoutLayout, "01AB", "01ABB", false},
		{"crockford inner space", lockoutLayout, "01AB", "01 AB", false},
		{"crockford empty", lockoutLayout, "01AB", "", false},
		{"crockford U is no V", lockoutLayout, "RSTV", "RSTU", false},
		{"digits as printed", digits, "012345", "012345", true},
		{"digits surrounding spaces", digits, "012345", " 012345 ", true},
		{"digits: O is not 0", digits, "012345", "O12345", false},
		{"digits: l is not 1", digits, "012345", "0l2345", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := lockoutSnapshot(credential.StateActive, nil)
			snap.Grid = credential.RestoreGrid(tt.layout, testSecret(tt.layout.Cells(), 1), nil)
			card := credential.RestoreOTPCard(snap)
			ch, err := card.IssueChallenge(t0, credential.ChallengeRules{Size: 1}, drawFirst)
			if err != nil {
				t.Fatal(err)
			}
			v := &fakeVerify{cells: []string{tt.cell, "999999"}}
			res, err := card.Login(ch.Label, tt.answer, v.verify, lockoutDefaults, true, t0)
			if err != nil {
				t.Fatal(err)
			}
			if res.Succeeded() != tt.ok {
				t.Errorf("Login(%q) for cell %q: got status %d, want success %v", tt.answer, tt.cell, res.StatusCode, tt.ok)
			}
		})
	}
}

func TestLockoutRefusals(t *testing.T) {
	type setup func(s *credential.Snapshot)
	withChallenge := func(s *credential.Snapshot) { s.Challenge = []int{2} }
	lockedFor := func(d time.Duration) setup {
		return func(s *credential.Snapshot) {
			s.LockedUntil, s.ResumeState, s.FailedLoginCount = t0.Add(d), credential.StateActive, 2
		}
	}
	tests := []struct {
		name    string
		state   credential.State
		setup   []setup
		at      time.Time
		wantErr error // nil: usable
	}{
		{"disabled", credential.StateDisabled, nil, t0, credential.ErrNotUsable},
		{"disabled with a challenge", credential.StateDisabled, []setup{withChallenge}, t0, credential.ErrNotUsable},
		{"archived", credential.StateArchived, nil, t0, credential.ErrNotUsable},
		{"reset-code", credential.StateResetCode, nil, t0, credential.ErrNotUsable},
		{"admin-changed", credential.StateAdminChanged, nil, t0, credential.ErrNotUsable},
		{"fail-locked", credential.StateFailLocked, nil, t0, credential.ErrLocked},
		{"fail-locked with a challenge", credential.StateFailLocked, []setup{withChallenge}, t0, credential.ErrLocked},
		{"fail-locked outside its validity", credential.StateFailLocked, nil, t0.Add(31 * 24 * time.Hour), credential.ErrLocked},
		{"tmp-locked", credential.StateTmpLocked, []setup{lockedFor(time.Minute)}, t0, credential.ErrLocked},
		{"tmp-locked, 1 ms left", credential.StateTmpLocked, []setup{lockedFor(time.Minute)}, t0.Add(time.Minute - ms), credential.ErrLocked},
		{"tmp-locked with a challenge", credential.StateTmpLocked, []setup{lockedFor(time.Minute), withChallenge}, t0, credential.ErrLocked},
		{"tmp-locked outside its validity", credential.StateTmpLocked, []setup{lockedFor(60 * 24 * time.Hour)},
			t0.Add(31 * 24 * time.Hour), credential.ErrLocked},
		{"lapsed tmp-lock outside its validity", credential.StateTmpLocked, []setup{lockedFor(time.Minute)},
			t0.Add(31 * 24 * time.Hour), credential.ErrNotUsable},
		{"1 ms before validity.from", credential.StateActive, nil, t0.Add(-24*time.Hour - ms), credential.ErrNotUsable},
		{"at validity.from", credential.StateActive, nil, t0.Add(-24 * time.Hour), nil},
		{"1 ms before validity.to", credential.StateActive, nil, t0.Add(30*24*time.Hour - ms), nil},
		{"at validity.to", credential.StateActive, nil, t0.Add(30 * 24 * time.Hour), credential.ErrNotUsable},
		{"initial after validity.to", credential.StateInitial, nil, t0.Add(31 * 24 * time.Hour), credential.ErrNotUsable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := lockoutSnapshot(tt.state, nil)
			for _, s := range tt.setup {
				s(&snap)
			}
			card := credential.RestoreOTPCard(snap)
			ch, err := card.IssueChallenge(tt.at, credential.ChallengeRules{Size: 1}, drawFirst)
			if tt.wantErr == nil {
				if err != nil || ch.Label == "" {
					t.Fatalf("IssueChallenge: got %+v, %v; want a challenge", ch, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || ch != (credential.Challenge{}) {
				t.Errorf("IssueChallenge: got %+v, %v; want an error wrapping %v", ch, err, tt.wantErr)
			}
			v := newVerify()
			res, err := card.Login("C1", lockoutCells[2], v.verify, lockoutDefaults, true, tt.at)
			if !errors.Is(err, tt.wantErr) || res != (credential.LoginResult{}) {
				t.Errorf("Login: got %+v, %v; want an error wrapping %v", res, err, tt.wantErr)
			}
			if v.calls != 0 {
				t.Errorf("verify: got %d calls, want none", v.calls)
			}
			if tt.name == "lapsed tmp-lock outside its validity" {
				return // ending the lapsed lock is the one change allowed
			}
			if got := card.Snapshot(); !reflect.DeepEqual(got, snap) {
				t.Errorf("card changed:\n got %+v\nwant %+v", got, snap)
			}
		})
	}
}

func TestLockoutNoChallenge(t *testing.T) {
	for _, state := range []credential.State{credential.StateInitial, credential.StateActive} {
		card := lockoutCard(state, nil)
		before := card.Snapshot()
		v := newVerify()
		res, err := card.Login("A1", "01AB", v.verify, lockoutDefaults, true, t0)
		if !errors.Is(err, credential.ErrNoChallenge) || res != (credential.LoginResult{}) {
			t.Errorf("%s: Login: got %+v, %v; want ErrNoChallenge", state, res, err)
		}
		if got := card.Snapshot(); !reflect.DeepEqual(got, before) || v.calls != 0 {
			t.Errorf("%s: got the card changed or %d verify calls, want neither", state, v.calls)
		}
	}
}

func TestLockoutSameChallengeWhileOutstanding(t *testing.T) {
	card := lockoutCard(credential.StateActive, nil)
	draws := 0
	draw := func(n int) (int, error) { draws++; return n - 1, nil } // the last candidate, C2
	first, err := card.IssueChallenge(t0, credential.ChallengeRules{Size: 1}, draw)
	if err != nil || first != (credential.Challenge{Label: "C2", New: true}) {
		t.Fatalf("first IssueChallenge: got %+v, %v; want C2, new", first, err)
	}
	snap := card.Snapshot()
	if snap.Version != 11 || !snap.LastModified.Equal(t0) || !slices.Equal(snap.Challenge, []int{5}) {
		t.Errorf("after a new challenge: got version %d, lastModified %v, challenge %v; want 11, %v, [5]",
			snap.Version, snap.LastModified, snap.Challenge, t0)
	}
	if got := card.OTP(nil); !strings.HasSuffix(got, "|C2") {
		t.Errorf("OTP: got %q, want the latestChallenge C2 at the end", got)
	}
	for _, at := range []time.Duration{0, time.Second, time.Hour} {
		again, err := card.IssueChallenge(t0.Add(at), credential.ChallengeRules{Size: 1}, draw)
		if err != nil || again != (credential.Challenge{Label: "C2"}) {
			t.Errorf("IssueChallenge again at t0+%v: got %+v, %v; want C2, not new", at, again, err)
		}
	}
	if got := card.Snapshot(); !reflect.DeepEqual(got, snap) || draws != 1 {
		t.Errorf("asking again: got the card changed or %d draws, want it unchanged and 1 draw", draws)
	}
	if _, err := card.Login("C2", "WXYZ", newVerify().verify, lockoutDefaults, true, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	next, err := card.IssueChallenge(t0.Add(time.Hour), credential.ChallengeRules{Size: 1}, draw)
	if err != nil || next != (credential.Challenge{Label: "B2", New: true}) {
		t.Errorf("IssueChallenge after the login: got %+v, %v; want B2 (C2 is used), new", next, err)
	}
}

func TestLockoutChallengeCandidates(t *testing.T) {
	tests := []struct {
		name   string
		uses   []int
		reuse  bool
		labels []string // the candidates in order; nil: no challenge
	}{
		{"fresh card", nil, false, lockoutLabels},
		{"never-used cells only", []int{1, 0, 1, 0, 0, 1}, false, []string{"B1", "A2", "B2"}},
		{"one cell left", []int{1, 1, 1, 1, 1, 0}, false, []string{"C2"}},
		{"no cell left without reuse", []int{1, 1, 1, 1, 1, 1}, false, nil},
		{"no cell left without reuse, counters above 1", []int{2, 3, 1, 9, 1, 1}, false, nil},
		{"reuse: fresh card", nil, true, lockoutLabels},
		{"reuse: the least used", []int{2, 1, 3, 1, 2, 5}, true, []string{"B1", "A2"}},
		{"reuse: unused cells first", []int{1, 0, 1, 0, 0, 1}, true, []string{"B1", "A2", "B2"}},
		{"reuse: all used alike", []int{4, 4, 4, 4, 4, 4}, true, lockoutLabels},
		{"reuse: one least used", []int{7, 7, 7, 7, 7, 6}, true, []string{"C2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k := range max(len(tt.labels), 1) {
				card := lockoutCard(credential.StateActive, tt.uses)
				var gotN []int
				draw := func(n int) (int, error) { gotN = append(gotN, n); return k, nil }
				ch, err := card.IssueChallenge(t0, credential.ChallengeRules{Size: 1, Reuse: tt.reuse}, draw)
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if tt.labels == nil {
					if ch != (credential.Challenge{}) || gotN != nil {
						t.Errorf("got %+v after draws %v, want an empty label and no draw", ch, gotN)
					}
					if got := card.Version(); got != 10 {
						t.Errorf("version: got %d, want 10 (nothing issued)", got)
					}
					continue
				}
				if !slices.Equal(gotN, []int{len(tt.labels)}) {
					t.Errorf("draw: got called with %v, want [%d]", gotN, len(tt.labels))
				}
				if want := (credential.Challenge{Label: tt.labels[k], New: true}); ch != want {
					t.Errorf("draw %d: got %+v, want %+v", k, ch, want)
				}
			}
		})
	}
}

func TestLockoutDrawErrors(t *testing.T) {
	errRand := errors.New("no randomness")
	tests := []struct {
		name string
		draw func(int) (int, error)
	}{
		{"draw fails", func(int) (int, error) { return 0, errRand }},
		{"draw out of range", func(n int) (int, error) { return n, nil }},
		{"draw negative", func(int) (int, error) { return -1, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := lockoutCard(credential.StateActive, nil)
			before := card.Snapshot()
			ch, err := card.IssueChallenge(t0, credential.ChallengeRules{Size: 1}, tt.draw)
			if err == nil || ch != (credential.Challenge{}) {
				t.Fatalf("got %+v, %v; want an error", ch, err)
			}
			if tt.name == "draw fails" && !errors.Is(err, errRand) {
				t.Errorf("got %v, want it to wrap %v", err, errRand)
			}
			if got := card.Snapshot(); !reflect.DeepEqual(got, before) {
				t.Errorf("card changed:\n got %+v\nwant %+v", got, before)
			}
		})
	}
}

// TestLockoutVersionBumps follows one card: a new challenge and every login attempt change it
// (version + 1); asking again and refused attempts do not.
func TestLockoutVersionBumps(t *testing.T) {
	card := lockoutCard(credential.StateActive, nil)
	v := newVerify().verify
	steps := []struct {
		name string
		do   func(now time.Time) error
		want int32
	}{
		{"new challenge", func(now time.Time) error {
			_, err := card.IssueChallenge(now, credential.ChallengeRules{Size: 1}, drawFirst)
			return err
		}, 11},
		{"same challenge", func(now time.Time) error {
			_, err := card.IssueChallenge(now, credential.ChallengeRules{Size: 1}, drawFirst)
			return err
		}, 11},
		{"wrong answer", func(now time.Time) error {
			_, err := card.Login("A1", "0000", v, lockoutDefaults, true, now)
			return err
		}, 12},
		{"login without challenge", func(now time.Time) error {
			if _, err := card.Login("A1", "01AB", v, lockoutDefaults, true, now); !errors.Is(err, credential.ErrNoChallenge) {
				return fmt.Errorf("got %v, want ErrNoChallenge", err)
			}
			return nil
		}, 12},
		{"new challenge", func(now time.Time) error {
			_, err := card.IssueChallenge(now, credential.ChallengeRules{Size: 1}, drawFirst)
			return err
		}, 13},
		{"right answer", func(now time.Time) error {
			_, err := card.Login("A1", "01AB", v, lockoutDefaults, true, now)
			return err
		}, 14},
		{"new challenge", func(now time.Time) error {
			_, err := card.IssueChallenge(now, credential.ChallengeRules{Size: 1}, drawFirst)
			return err
		}, 15},
		{"right answer without login info", func(now time.Time) error {
			_, err := card.Login("B1", "CDEF", v, lockoutDefaults, false, now)
			return err
		}, 16},
	}
	for i, s := range steps {
		now := t0.Add(time.Duration(i) * time.Second)
		if err := s.do(now); err != nil {
			t.Fatalf("step %d (%s): %v", i, s.name, err)
		}
		if got := card.Version(); got != s.want {
			t.Errorf("step %d (%s): version: got %d, want %d", i, s.name, got, s.want)
		}
	}
}
