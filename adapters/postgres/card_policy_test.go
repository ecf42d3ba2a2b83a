package postgres_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/uptrace/bun"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

// insertPolicy adds a policy that is not the default one; the postgres package has no policy
// store yet, so the row is written directly.
func insertPolicy(t *testing.T, db *bun.DB, extID, clientExtID string, params map[string]string) {
	t.Helper()
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.NewRaw(`INSERT INTO policies (ext_id, client_ext_id, name, description, policy_type,
		default_policy, parameters, created, last_modified, version)
		VALUES (?, ?, ?, 'for tests', 'OTPCardPolicy', false, ?::jsonb, ?, ?, 1)`,
		extID, clientExtID, "Policy "+extID, string(raw), base, base).Exec(t.Context())
	if err != nil {
		t.Fatalf("insert policy %s: %v", extID, err)
	}
}

var digitsPolicy = map[string]string{"rows": "3", "cols": "4", "cellLength": "6", "cellCharset": "digits",
	"coordinateCardFormat": "true", "maxCredFailureCount": "5"}

func TestCardStorePolicyForUser(t *testing.T) {
	w := newCardWorld(t)
	insertPolicy(t, w.db, "digits", "acme", digitsPolicy)
	insertPolicy(t, w.db, "globex-only", "globex", digitsPolicy)
	wantDigits, err := credential.ParseParameters(digitsPolicy)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("default", func(t *testing.T) {
		p, err := w.cards.PolicyForUser(t.Context(), "acme", "alice", "")
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if p.ExtID != w.acme.ExtID || p.ClientExtID != "acme" || !p.Default || p.Name != w.acme.Name || p.Version != 1 {
			t.Errorf("policy: got %+v, want %+v", p, w.acme)
		}
		if p.Parameters != credential.DefaultParameters() {
			t.Errorf("parameters: got %+v, want %+v", p.Parameters, credential.DefaultParameters())
		}
		assertTime(t, "created", p.Created, base)
	})
	t.Run("by extId", func(t *testing.T) {
		p, err := w.cards.PolicyForUser(t.Context(), "acme", "alice", "digits")
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if p.ExtID != "digits" || p.Default || p.Description != "for tests" {
			t.Errorf("policy: got %+v, want the digits policy", p)
		}
		if p.Parameters != wantDigits {
			t.Errorf("parameters: got %+v, want %+v", p.Parameters, wantDigits)
		}
	})
	for _, tt := range []struct{ name, client, user, policy string }{
		{"unknown policy", "acme", "alice", "nope"},
		{"policy of another client", "acme", "alice", "globex-only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.cards.PolicyForUser(t.Context(), tt.client, tt.user, tt.policy)
			if !errors.Is(err, credential.ErrUnknownPolicy) {
				t.Errorf("got %v, want ErrUnknownPolicy", err)
			}
		})
	}
	for _, tt := range []struct{ name, client, user, policy, wantKind, wantExtID string }{
		{"unknown client", "nowhere", "alice", "", "client", "nowhere"},
		{"unknown user", "acme", "nobody", "", "user", "nobody"},
		{"user of another client", "globex", "alice", "", "user", "alice"},
		{"unknown user and unknown policy", "acme", "nobody", "nope", "user", "nobody"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.cards.PolicyForUser(t.Context(), tt.client, tt.user, tt.policy)
			var nf *fault.NotFoundError
			if !errors.As(err, &nf) || nf.Entity != tt.wantKind || nf.ExtID != tt.wantExtID {
				t.Errorf("got %v, want a %s NotFoundError for %s", err, tt.wantKind, tt.wantExtID)
			}
		})
	}
}

func TestCardStorePolicyOfCard(t *testing.T) {
	w := newCardWorld(t)
	insertPolicy(t, w.db, "digits", "acme", digitsPolicy)
	onDefault := w.newCard(t, w.alice, "on-default", 1, base)
	w.create(t, onDefault)
	s := w.newCard(t, w.alice, "on-digits", 2, base).Snapshot()
	s.PolicyExtID = "digits"
	w.create(t, credential.RestoreOTPCard(s))

	for _, tt := range []struct{ card, wantPolicy string }{
		{"on-default", w.acme.ExtID},
		{"on-digits", "digits"},
	} {
		key := w.alice
		key.ExtID = tt.card
		p, holder, err := w.cards.PolicyOfCard(t.Context(), key)
		if err != nil {
			t.Errorf("policy of %s: got %v, want nil", tt.card, err)
			continue
		}
		if holder != credential.HolderActive {
			t.Errorf("holder of %s: got %s, want active", tt.card, holder)
		}
		if p.ExtID != tt.wantPolicy || p.ClientExtID != "acme" {
			t.Errorf("policy of %s: got %s in %s, want %s in acme", tt.card, p.ExtID, p.ClientExtID, tt.wantPolicy)
		}
	}

	for _, key := range []appcredential.CardKey{
		{ClientExtID: "acme", UserExtID: "alice", ExtID: "absent"},
		{ClientExtID: "acme", UserExtID: "bob", ExtID: "on-default"},
		{ClientExtID: "globex", UserExtID: "alice", ExtID: "on-default"},
	} {
		_, _, err := w.cards.PolicyOfCard(t.Context(), key)
		var nf *fault.NotFoundError
		if !errors.Is(err, fault.ErrNotFound) || !errors.As(err, &nf) || nf.ExtID != key.ExtID {
			t.Errorf("policy of %+v: got %v, want a NotFoundError for %s", key, err, key.ExtID)
		}
	}
}
