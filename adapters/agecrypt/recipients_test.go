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
	for _, bad := range []string{"", "age1", good[:len(good)-1] + "q", id.String(), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk", "AGE1" + good[4:] + "x"} {
		if err := (agecrypt.Recipients{}).CheckRecipient(bad); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}
