package agecrypt_test

import (
	"bytes"
	"io"
	"testing"

	"filippo.io/age"

	"github.com/otpcard/otpcard/adapters/agecrypt"
)

// TestEncryptToEveryRecipient: each recipient's identity decrypts the ciphertext; another
// identity does not; the ciphertext does not contain the plaintext.
func TestEncryptToEveryRecipient(t *testing.T) {
	shop, backup, stranger := identity(t), identity(t), identity(t)
	plaintext := []byte("%PDF-1.3 letters with the cells 7QX2 B9KM 03TD")
	ct, err := agecrypt.Encrypt([]string{shop.Recipient().String(), backup.Recipient().String()}, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("7QX2")) {
		t.Fatal("the ciphertext holds the plaintext")
	}
	for name, id := range map[string]*age.X25519Identity{"shop": shop, "backup": backup} {
		r, err := age.Decrypt(bytes.NewReader(ct), id)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, _ := io.ReadAll(r)
		if !bytes.Equal(got, plaintext) {
			t.Errorf("%s decrypted %q", name, got)
		}
	}
	if _, err := age.Decrypt(bytes.NewReader(ct), stranger); err == nil {
		t.Error("a stranger's identity decrypted the batch")
	}
	if _, err := agecrypt.Encrypt(nil, plaintext); err == nil {
		t.Error("no recipient: got no error")
	}
	if _, err := agecrypt.Encrypt([]string{"age1nope"}, plaintext); err == nil {
		t.Error("a bad recipient: got no error")
	}
}

func identity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}
