package agecrypt

import (
	"bytes"
	"errors"
	"fmt"

	"filippo.io/age"
)

// Encrypt encrypts plaintext to every recipient (age X25519, "age1..."): any one of their
// identities decrypts it. It is how a chunk of a print batch (its letters and its manifest)
// leaves the process: nothing of plaintext is written anywhere else.
func Encrypt(recipients []string, plaintext []byte) ([]byte, error) {
	if len(recipients) == 0 {
		return nil, errors.New("encrypt: no recipient")
	}
	to := make([]age.Recipient, len(recipients))
	for i, r := range recipients {
		parsed, err := age.ParseX25519Recipient(r)
		if err != nil {
			return nil, fmt.Errorf("encrypt: recipient %d is not a valid age X25519 recipient", i+1)
		}
		to[i] = parsed
	}
	var out bytes.Buffer
	w, err := age.Encrypt(&out, to...)
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	return out.Bytes(), nil
}

// Encrypt is Encrypt for the printing module's port.
func (Recipients) Encrypt(recipients []string, plaintext []byte) ([]byte, error) {
	return Encrypt(recipients, plaintext)
}
