package agecrypt_test

import (
	"testing"

	"filippo.io/age"

	"github.com/otpcard/otpcard/adapters/agecrypt"
)

func TestCheckRecipient(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if err := (agecrypt.Recipients{}).CheckRecipient(id.Recipient().String()); err != nil {
		t.Errorf("a fresh X25519 recipient: %v", err)
	}
	good := id.Recipient().String()
	for _, bad := range []string{"", "age1", flipLast(good), id.String(), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk", "AGE1" + good[4:] + "x"} {
		if err := (agecrypt.Recipients{}).CheckRecipient(bad); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}

// flipLast changes the last character of a bech32 string to another one of its alphabet: the
// checksum no longer holds.
func flipLast(s string) string {
	if s[len(s)-1] == 'q' {
		return s[:len(s)-1] + "p"
	}
	return s[:len(s)-1] + "q"
}
