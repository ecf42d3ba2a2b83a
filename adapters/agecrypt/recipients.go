// Package agecrypt is otpcard's use of age (filippo.io/age): print batches are encrypted to the
// X25519 recipients of their client (API.md section 11.2), and a recipient is checked when a
// client sets it.
package agecrypt

import (
	"errors"

	"filippo.io/age"
)

// Recipients checks print recipients.
type Recipients struct{}

// CheckRecipient returns an error unless r is an age X25519 recipient ("age1..."); the error
// never repeats r.
func (Recipients) CheckRecipient(r string) error {
	if _, err := age.ParseX25519Recipient(r); err != nil {
		return errors.New("not a valid age X25519 recipient")
	}
	return nil
}
