package credential_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/caller/callertest"
	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/credential/credentialtest"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
)

const maxAuthAge = 15 * time.Minute

// errStale is the refusal of a self-admin caller whose authentication is older than maxAuthAge.
var errStale error = &access.ReauthenticationRequiredError{MaxAge: maxAuthAge}

var (
	// t0 is when the stored card last changed; now is the use cases' clock.
	t0     = time.Date(2026, 11, 26, 21, 30, 0, 0, time.UTC)
	now    = t0.Add(time.Hour)
	tracer = noop.NewTracerProvider().Tracer("")
	// digitsLayout is the layout of policy-digits: 3x5 cells of six digits with coordinate labels.
	digitsLayout = credential.Layout{Rows: 3, Cols: 5, CellLength: 6, Charset: credential.CharsetDigits, Coordinate: true}
	card1        = app.CardKey{ClientExtID: "client-a", UserExtID: "user-a", ExtID: "card-1"}
)

// newModule is the credential module's use cases on the card store s, the policy store beside
// it, and hasher h.
func newModule(s *credentialtest.CardStore, h *fakeHasher) app.UseCases {
	return app.New(app.Deps{Cards: s, Policies: s.PolicyStore(), Hasher: h, Verifier: h,
		Now: clock(now), Tracer: tracer, MaxAuthAge: maxAuthAge})
}

// cardCase is a caller acting on the card under key, and what it must be answered: the error
// (none: the use case runs), and whether the store was consulted (a refused caller never is).
type cardCase struct {
	name      string
	caller    caller.Caller
	key       app.CardKey
	wantErr   error
	wantStore bool
}

// useCases is the module's use cases on the card store s, for cases that hash nothing they check.
func useCases(s *credentialtest.CardStore) app.UseCases { return newModule(s, &fakeHasher{}) }

// newStore holds client-a with user-a (owning card-1 at version 4) and user-b, and client-b with
// user-c. client-a has the default policy-a and policy-digits.
func newStore(t *testing.T) *credentialtest.CardStore {
	t.Helper()
	s := credentialtest.NewCardStore()
	s.AddUser("client-a", "user-a")
	s.AddUser("client-a", "user-b")
	s.AddUser("client-b", "user-c")
	s.AddPolicy(credential.Policy{ExtID: "policy-a", ClientExtID: "client-a", Default: true,
		Parameters: credential.DefaultParameters(), Version: 1})
	digits := credential.DefaultParameters()
	digits.Layout, digits.CredentialLifetime = digitsLayout, 90*24*time.Hour
	s.AddPolicy(credential.Policy{ExtID: "policy-digits", ClientExtID: "client-a", Parameters: digits, Version: 1})
	s.AddPolicy(credential.Policy{ExtID: "policy-b", ClientExtID: "client-b", Default: true,
		Parameters: credential.DefaultParameters(), Version: 1})
	s.AddCard(storedCard("card-1", "user-a", credential.StateActive))
	return s
}

// storedCard is a card with history at version 4: used cells, login statistics, a challenge.
func storedCard(extID, user string, state credential.State) credential.Snapshot {
	l := credential.DefaultParameters().Layout
	uses := make([]int, l.Cells())
	uses[3], uses[7] = 1, 1
	secret := credential.Secret{Scheme: "old", Salt: bytes.Repeat([]byte{1}, credential.SaltLength),
		Verifiers: make([][]byte, l.Cells())}
	return credential.Snapshot{
		ExtID: extID, ClientExtID: "client-a", UserExtID: user, PolicyExtID: "policy-a",
		Serial: credentialtest.SerialOf(extID), State: state, StateChangeReason: credential.ReasonActivated,
		ValidFrom: t0.Add(-48 * time.Hour), ValidTo: t0.Add(365 * 24 * time.Hour),
		LastSuccessfulLogin: t0.Add(-2 * time.Hour), LastFailedLogin: t0.Add(-time.Hour),
		SuccessfulLoginCount: 7, FailedLoginCount: 1, ModificationComment: "old comment",
		Created: t0.Add(-48 * time.Hour), LastModified: t0, Version: 4,
		Grid: credential.RestoreGrid(l, secret, uses), Challenge: []int{30},
	}
}

// alice is the actor of the events of admin callers.
var alice = event.Actor{Subject: "alice", Mode: "admin"}

// The callers of the cases, and the checks of their refusals (see callertest and storetest).
var (
	admin, adminIn = callertest.Admin, callertest.AdminIn
	refused        = callertest.Refused
	wantConsulted  = storetest.WantConsulted
)

// self is a self-admin user who authenticated age ago.
func self(user string, age time.Duration) caller.Caller {
	return callertest.SelfAdmin(user, now.Add(-age))
}

// checkIssued checks the clear cells of a fresh card against its layout and its verifiers.
func checkIssued(t *testing.T, h *fakeHasher, issued app.Issued, want credential.Layout) {
	t.Helper()
	if issued.Card == nil {
		t.Fatal("Issued.Card: got nil, want the card")
	}
	if got := len(issued.Clear); got != want.Rows*want.Cols {
		t.Fatalf("Issued.Clear: got %d cells, want %d", got, want.Rows*want.Cols)
	}
	alphabet := want.Charset.Alphabet()
	for i, c := range issued.Clear {
		if len(c) != want.CellLength || strings.Trim(c, alphabet) != "" {
			t.Fatalf("cell %d: got %q, want %d characters of %q", i, c, want.CellLength, alphabet)
		}
	}
	if got := h.lastHashed(); !reflect.DeepEqual(got, issued.Clear) {
		t.Errorf("hashed cells: got %d cells differing from Issued.Clear, want the same cells", len(got))
	}
	grid := issued.Card.Snapshot().Grid
	if got := grid.Layout(); got != want {
		t.Errorf("card layout: got %+v, want %+v", got, want)
	}
	secret := grid.Secret()
	for i, c := range issued.Clear {
		if !bytes.Equal(secret.Verifiers[i], fakeVerifier(secret.Salt, i, c)) {
			t.Fatalf("verifier %d: got one that does not match clear cell %d", i, i)
		}
	}
	if got, wantCells := issued.Card.OTP(issued.Clear), strings.Join(issued.Clear, ""); !strings.Contains(got, "|"+wantCells) {
		t.Errorf("OTP(clear): got %q, want the clear cells in it", got)
	}
	if got := issued.Card.RemainingChallenges(); got != want.Rows*want.Cols {
		t.Errorf("RemainingChallenges: got %d, want %d", got, want.Rows*want.Cols)
	}
}

// checkEvents compares the events recorded with want, one by one as checkEvent does, and returns
// them; it stops the test when their numbers differ.
func checkEvents(t *testing.T, got []event.Event, want ...event.Event) []event.Event {
	t.Helper()
	switch {
	case len(want) == 0 && len(got) != 0:
		t.Errorf("events: got %+v, want none", got)
	case len(got) != len(want):
		t.Fatalf("events: got %d, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		checkEvent(t, got[i], want[i])
	}
	return got
}

// checkCard fails unless the store keeps card-1 as want.
func checkCard(t *testing.T, s *credentialtest.CardStore, want credential.Snapshot) {
	t.Helper()
	if got, _ := s.Card("card-1"); !reflect.DeepEqual(got, want) {
		t.Errorf("stored card:\n got %+v\nwant %+v", got, want)
	}
}

// checkNothingIssued fails unless a refused create or replace issued no card and no cells.
func checkNothingIssued(t *testing.T, issued app.Issued) {
	t.Helper()
	if issued.Card != nil || issued.Clear != nil {
		t.Errorf("Issued: got %d clear cells and a card, want nothing", len(issued.Clear))
	}
}

// checkEvent compares an event with want, leaving out the type-specific Data.
func checkEvent(t *testing.T, got, want event.Event) {
	t.Helper()
	got.Data, want.Data = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("event:\n got %+v\nwant %+v", got, want)
	}
}

// checkNoCells walks every value an event holds and fails on byte slices (verifiers, salts) and
// on any string containing a cell in clear.
func checkNoCells(t *testing.T, events []event.Event, cells []string) {
	t.Helper()
	for _, ev := range events {
		var walk func(v reflect.Value)
		walk = func(v reflect.Value) {
			switch v.Kind() {
			case reflect.String:
				for _, c := range cells {
					if strings.Contains(v.String(), c) {
						t.Errorf("event %s: got the cell %q inside %q, want no cell values", ev.Type, c, v.String())
					}
				}
			case reflect.Struct:
				if v.Type() == reflect.TypeFor[time.Time]() {
					return
				}
				for i := range v.NumField() {
					walk(v.Field(i))
				}
			case reflect.Map:
				for it := v.MapRange(); it.Next(); {
					walk(it.Key())
					walk(it.Value())
				}
			case reflect.Slice, reflect.Array:
				if v.Type().Elem().Kind() == reflect.Uint8 {
					t.Errorf("event %s: got a byte slice, want no verifier or salt", ev.Type)
					return
				}
				for i := range v.Len() {
					walk(v.Index(i))
				}
			case reflect.Pointer, reflect.Interface:
				if !v.IsNil() {
					walk(v.Elem())
				}
			}
		}
		walk(reflect.ValueOf(ev))
	}
}
