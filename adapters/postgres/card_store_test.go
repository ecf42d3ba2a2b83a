package postgres_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres"
	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/credential/credentialtest"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
)

// smallLayout keeps test cards small: 2 rows of 3 cells of 4 crockford32 characters.
var smallLayout = credential.Layout{Rows: 2, Cols: 3, CellLength: 4, Charset: credential.CharsetCrockford32}

// fakeSecret is a secret whose salt and verifiers are derived from seed: 16 bytes each, distinct
// per cell and per seed, so that a round trip that mixes them up shows.
func fakeSecret(l credential.Layout, seed byte) credential.Secret {
	verifiers := make([][]byte, l.Cells())
	for i := range verifiers {
		v := make([]byte, 16)
		for j := range v {
			v[j] = seed ^ byte(i*16+j)
		}
		verifiers[i] = v
	}
	return credential.Secret{Scheme: fmt.Sprintf("test-scheme;seed=%d", seed),
		Salt: bytes.Repeat([]byte{seed, 0xA5}, 8), Verifiers: verifiers}
}

func fakeGrid(t *testing.T, seed byte) credential.Grid {
	t.Helper()
	g, err := credential.NewGrid(smallLayout, fakeSecret(smallLayout, seed))
	if err != nil {
		t.Fatalf("new grid: %v", err)
	}
	return g
}

// cardWorld is a database with clients acme (users alice, bob) and globex (user carol).
type cardWorld struct {
	db             *bun.DB
	cards          *postgres.CardStore
	acme, globex   credential.Policy // the default policies
	alice, bob, cl appcredential.CardKey
}

func newCardWorld(t *testing.T) cardWorld {
	t.Helper()
	db := openDB(t)
	_, acme := createClient(t, db, "acme", "Acme", base)
	_, globex := createClient(t, db, "globex", "Globex", base)
	createUser(t, db, "acme", "alice", "alice")
	createUser(t, db, "acme", "bob", "bob")
	createUser(t, db, "globex", "carol", "carol")
	return cardWorld{db: db, cards: postgres.NewCardStore(db), acme: acme, globex: globex,
		alice: appcredential.CardKey{ClientExtID: "acme", UserExtID: "alice"},
		bob:   appcredential.CardKey{ClientExtID: "acme", UserExtID: "bob"},
		cl:    appcredential.CardKey{ClientExtID: "globex", UserExtID: "carol"}}
}

// newCard builds a card of the user in key (extId from key) under the client's default policy.
func (w cardWorld) newCard(t *testing.T, key appcredential.CardKey, extID string, seed byte, now time.Time) *credential.OTPCard {
	t.Helper()
	policy := w.acme.ExtID
	if key.ClientExtID == "globex" {
		policy = w.globex.ExtID
	}
	c, err := credential.NewOTPCard(credential.NewCard{ExtID: extID, ClientExtID: key.ClientExtID,
		UserExtID: key.UserExtID, PolicyExtID: policy, Serial: credentialtest.SerialOf(extID),
		Lifetime: 365 * 24 * time.Hour}, fakeGrid(t, seed), now)
	if err != nil {
		t.Fatalf("new card %s: %v", extID, err)
	}
	return c
}

// admitUpTo admits a card while the user holds fewer than n cards that are not archived, as
// CreateOTPCard does with its limit, and refuses archived holders.
func admitUpTo(n int) func(credential.Holder, int) error {
	return func(h credential.Holder, held int) error {
		if err := h.CanReceiveCards(); err != nil {
			return err
		}
		if held >= n {
			return fmt.Errorf("%w: %d held", credential.ErrTooManyCards, held)
		}
		return nil
	}
}

// create saves card with maxCards 100 and its otp-card.created event.
func (w cardWorld) create(t *testing.T, card *credential.OTPCard) {
	t.Helper()
	if err := w.cards.Create(t.Context(), card, []event.Event{cardEvent(credential.CardCreated, card)}, admitUpTo(100)); err != nil {
		t.Fatalf("create card %s: got %v, want nil", card.ExtID(), err)
	}
}

func cardEvent(typ event.Type, c *credential.OTPCard) event.Event {
	s := c.Snapshot()
	return event.Event{Type: typ, Time: s.LastModified, Actor: admin, ClientExtID: s.ClientExtID,
		UserExtID: s.UserExtID, CredentialExt: s.ExtID, PolicyExtID: s.PolicyExtID, Version: s.Version,
		Data: map[string]string{"state": string(s.State)}}
}

func keyOf(c *credential.OTPCard) appcredential.CardKey {
	s := c.Snapshot()
	return appcredential.CardKey{ClientExtID: s.ClientExtID, UserExtID: s.UserExtID, ExtID: s.ExtID}
}

// snapshotFields are the fields of credential.Snapshot that assertSnapshot compares. A field added
// to the snapshot fails TestSnapshotFieldsAreCompared until it is compared (and stored) too.
var snapshotFields = []string{"ExtID", "ClientExtID", "UserExtID", "PolicyExtID", "Serial", "State",
	"StateChangeReason", "StateChangeDetail", "ValidFrom", "ValidTo", "LastSuccessfulLogin",
	"LastFailedLogin", "SuccessfulLoginCount", "FailedLoginCount", "ModificationComment", "Created",
	"LastModified", "Version", "Grid", "Challenge", "LockedUntil", "ResumeState", "PredecessorExtID",
	"SuccessorExtID", "RenewedAt", "CloseToExpiryAnnounced", "ExpiryAnnounced"}

func TestSnapshotFieldsAreCompared(t *testing.T) {
	typ := reflect.TypeFor[credential.Snapshot]()
	var fields []string
	for i := range typ.NumField() {
		fields = append(fields, typ.Field(i).Name)
	}
	slices.Sort(fields)
	want := slices.Sorted(slices.Values(snapshotFields))
	if !slices.Equal(fields, want) {
		t.Errorf("snapshot fields: got %v, want %v; compare new fields in assertSnapshot and set them in TestCardStoreUpdateRoundTripsEverySnapshotField", fields, want)
	}
}

// assertSnapshot compares every field; times at microsecond precision in UTC.
func assertSnapshot(t *testing.T, got, want credential.Snapshot) {
	t.Helper()
	strs := []struct{ field, got, want string }{
		{"extId", got.ExtID, want.ExtID}, {"clientExtId", got.ClientExtID, want.ClientExtID},
		{"userExtId", got.UserExtID, want.UserExtID}, {"policyExtId", got.PolicyExtID, want.PolicyExtID},
		{"serialNumber", string(got.Serial), string(want.Serial)},
		{"predecessorExtId", got.PredecessorExtID, want.PredecessorExtID},
		{"successorExtId", got.SuccessorExtID, want.SuccessorExtID},
		{"state", string(got.State), string(want.State)},
		{"resumeState", string(got.ResumeState), string(want.ResumeState)},
		{"stateChangeReason", got.StateChangeReason, want.StateChangeReason},
		{"stateChangeDetail", got.StateChangeDetail, want.StateChangeDetail},
		{"modificationComment", got.ModificationComment, want.ModificationComment},
		{"scheme", got.Grid.Secret().Scheme, want.Grid.Secret().Scheme},
	}
	for _, s := range strs {
		if s.got != s.want {
			t.Errorf("%s: got %q, want %q", s.field, s.got, s.want)
		}
	}
	ints := []struct {
		field     string
		got, want int
	}{
		{"successfulLoginCount", int(got.SuccessfulLoginCount), int(want.SuccessfulLoginCount)},
		{"failedLoginCount", int(got.FailedLoginCount), int(want.FailedLoginCount)},
		{"version", int(got.Version), int(want.Version)},
	}
	for _, n := range ints {
		if n.got != n.want {
			t.Errorf("%s: got %d, want %d", n.field, n.got, n.want)
		}
	}
	assertTime(t, "validFrom", got.ValidFrom, want.ValidFrom)
	assertTime(t, "validTo", got.ValidTo, want.ValidTo)
	assertTime(t, "lastSuccessfulLogin", got.LastSuccessfulLogin, want.LastSuccessfulLogin)
	assertTime(t, "lastFailedLogin", got.LastFailedLogin, want.LastFailedLogin)
	assertTime(t, "created", got.Created, want.Created)
	assertTime(t, "lastModified", got.LastModified, want.LastModified)
	assertTime(t, "lockedUntil", got.LockedUntil, want.LockedUntil)
	assertTime(t, "renewedAt", got.RenewedAt, want.RenewedAt)
	if g, w := got.Grid.Layout(), want.Grid.Layout(); g != w {
		t.Errorf("layout: got %+v, want %+v", g, w)
	}
	if g, w := got.Grid.Secret().Salt, want.Grid.Secret().Salt; !bytes.Equal(g, w) {
		t.Errorf("salt: got %x, want %x", g, w)
	}
	gv, wv := got.Grid.Secret().Verifiers, want.Grid.Secret().Verifiers
	if !slices.EqualFunc(gv, wv, bytes.Equal) {
		t.Errorf("verifiers: got %x, want %x", gv, wv)
	}
	if g, w := got.Grid.Uses(), want.Grid.Uses(); !slices.Equal(g, w) {
		t.Errorf("uses: got %v, want %v", g, w)
	}
	if !slices.Equal(got.Challenge, want.Challenge) {
		t.Errorf("challenge: got %v, want %v", got.Challenge, want.Challenge)
	}
	if got.CloseToExpiryAnnounced != want.CloseToExpiryAnnounced || got.ExpiryAnnounced != want.ExpiryAnnounced {
		t.Errorf("announced: got %v %v, want %v %v", got.CloseToExpiryAnnounced, got.ExpiryAnnounced,
			want.CloseToExpiryAnnounced, want.ExpiryAnnounced)
	}
}

// TestCardStoreCardLimit: with maxCards 2 a third card is refused; archived cards and other
// users' cards do not count.
func TestCardStoreCardLimit(t *testing.T) {
	w := newCardWorld(t)
	archived := w.newCard(t, w.alice, "archived", 1, base).Snapshot()
	archived.State, archived.StateChangeReason = credential.StateArchived, credential.ReasonArchivedByAdmin
	if err := w.cards.Create(t.Context(), credential.RestoreOTPCard(archived), nil, admitUpTo(2)); err != nil {
		t.Fatalf("create archived card: got %v, want nil", err)
	}
	w.create(t, w.newCard(t, w.bob, "bobs", 2, base))
	for i, want := range []error{nil, nil, credential.ErrTooManyCards, credential.ErrTooManyCards} {
		card := w.newCard(t, w.alice, fmt.Sprintf("card-%d", i), byte(10+i), base)
		err := w.cards.Create(t.Context(), card, []event.Event{cardEvent(credential.CardCreated, card)}, admitUpTo(2))
		if !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("create card %d: got %v, want %v", i, err, want)
		}
	}
	assertCounts(t, w.db, map[string]int{
		"SELECT count(*) FROM otp_cards WHERE user_ext_id = 'alice'":                            3, // one archived
		"SELECT count(*) FROM events WHERE type = 'otp-card.created' AND user_ext_id = 'alice'": 2,
	})
}

func TestCardStoreConcurrentCreatesRespectLimit(t *testing.T) {
	w := newCardWorld(t)
	cards := make([]*credential.OTPCard, 10)
	for i := range cards {
		cards[i] = w.newCard(t, w.alice, fmt.Sprintf("card-%d", i), byte(i), base)
	}
	errs := race(len(cards), func(i int) error {
		return w.cards.Create(t.Context(), cards[i], []event.Event{cardEvent(credential.CardCreated, cards[i])}, admitUpTo(2))
	})
	assertOutcomes(t, errs, 2, "ErrTooManyCards", wrapping(credential.ErrTooManyCards))
	assertCounts(t, w.db, map[string]int{
		"SELECT count(*) FROM otp_cards WHERE user_ext_id = 'alice'":  2,
		"SELECT count(*) FROM events WHERE type = 'otp-card.created'": 2,
	})
}

// TestCardStoreListPages lists five cards of alice, two pairs sharing a creation time, two at a
// time; bob's card never shows.
func TestCardStoreListPages(t *testing.T) {
	w := newCardWorld(t)
	created := []struct {
		extID string
		at    time.Duration
	}{{"e", 0}, {"b", time.Second}, {"a", time.Second}, {"d", 2 * time.Second}, {"c", 2 * time.Second}}
	for i, c := range created {
		w.create(t, w.newCard(t, w.alice, c.extID, byte(i), base.Add(c.at)))
	}
	w.create(t, w.newCard(t, w.bob, "bobs", 9, base))

	want := []string{"e", "a", "b", "c", "d"}
	var got []string
	page := listing.Page{Limit: 2}
	for pages := 1; pages <= 4; pages++ {
		res, err := w.cards.List(t.Context(), "acme", "alice", page)
		if err != nil {
			t.Fatalf("list page %d: got %v, want nil", pages, err)
		}
		for _, c := range res.Items {
			got = append(got, c.ExtID())
		}
		if res.Next == nil {
			if pages != 3 {
				t.Errorf("pages: got %d, want 3", pages)
			}
			break
		}
		page.After = res.Next
	}
	if !slices.Equal(got, want) {
		t.Errorf("cards: got %v, want %v", got, want)
	}

	res, err := w.cards.List(t.Context(), "acme", "alice", listing.Page{Limit: 100})
	if err != nil || len(res.Items) != 5 || res.Next != nil {
		t.Fatalf("list all: got %d items, next %v, err %v; want 5, nil, nil", len(res.Items), res.Next, err)
	}
	assertSnapshot(t, res.Items[0].Snapshot(), w.newCard(t, w.alice, "e", 0, base).Snapshot())
}
