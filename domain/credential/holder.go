package credential

import (
	"fmt"

	"github.com/otpcard/otpcard/domain/access"
)

// Holder is what the card rules need to know of the user who holds a card: whether that user may
// authenticate and receive cards (API.md section 3). The directory owns the user; the credential
// module only reads its state.
type Holder int

// The holders' states.
const (
	// HolderActive may authenticate and receive cards.
	HolderActive Holder = iota
	// HolderDisabled may not authenticate; an admin may still issue it a card.
	HolderDisabled
	// HolderArchived may neither authenticate nor receive cards.
	HolderArchived
)

// HolderOf reads a user's userState: anything but active is not usable, and only archived
// refuses new cards.
func HolderOf(userState string) Holder {
	switch userState {
	case "active":
		return HolderActive
	case "archived":
		return HolderArchived
	}
	return HolderDisabled
}

func (h Holder) String() string {
	switch h {
	case HolderActive:
		return "active"
	case HolderArchived:
		return "archived"
	}
	return "disabled"
}

// CanAuthenticate returns an error wrapping access.ErrUserNotUsable unless the holder is active:
// challenge and login are refused for disabled and archived users.
func (h Holder) CanAuthenticate() error {
	if h != HolderActive {
		return fmt.Errorf("%w: the user is %s", access.ErrUserNotUsable, h)
	}
	return nil
}

// CanReceiveCards returns an error wrapping access.ErrUserNotUsable for an archived holder: no
// card is created, replaced or renewed for an archived user.
func (h Holder) CanReceiveCards() error {
	if h == HolderArchived {
		return fmt.Errorf("%w: the user is archived", access.ErrUserNotUsable)
	}
	return nil
}
