package postgres

import (
	"bytes"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/domain/credential"
)

type cardRow struct {
	bun.BaseModel `bun:"table:otp_cards"`

	ExtID                string     `bun:"ext_id,pk"`
	ClientExtID          string     `bun:"client_ext_id"`
	UserExtID            string     `bun:"user_ext_id"`
	PolicyExtID          string     `bun:"policy_ext_id"`
	Serial               string     `bun:"serial_number"`
	State                string     `bun:"state"`
	StateChangeReason    string     `bun:"state_change_reason"`
	StateChangeDetail    string     `bun:"state_change_detail"`
	ValidFrom            time.Time  `bun:"valid_from"`
	ValidTo              time.Time  `bun:"valid_to"`
	LastSuccessfulLogin  *time.Time `bun:"last_successful_login"`
	LastFailedLogin      *time.Time `bun:"last_failed_login"`
	SuccessfulLoginCount int32      `bun:"successful_login_count"`
	FailedLoginCount     int32      `bun:"failed_login_count"`
	ModificationComment  string     `bun:"modification_comment"`
	Rows                 int16      `bun:"grid_rows"`
	Cols                 int16      `bun:"grid_cols"`
	CellLength           int16      `bun:"cell_length"`
	Charset              string     `bun:"cell_charset"`
	Coordinate           bool       `bun:"coordinate_format"`
	Scheme               string     `bun:"verifier_scheme"`
	Salt                 []byte     `bun:"salt"`
	Verifiers            []byte     `bun:"verifiers"`
	Uses                 []byte     `bun:"uses"`
	Challenge            []int16    `bun:"challenge,array"`
	LockedUntil          *time.Time `bun:"locked_until"`
	ResumeState          string     `bun:"resume_state"`
	Created              time.Time  `bun:"created"`
	LastModified         time.Time  `bun:"last_modified"`
	Version              int32      `bun:"version"`
	PredecessorExtID     *string    `bun:"predecessor_ext_id"`
	SuccessorExtID       *string    `bun:"successor_ext_id"`
	RenewedAt            *time.Time `bun:"renewed_at"`
	CloseAnnounced       bool       `bun:"close_to_expiry_announced"`
	ExpiryAnnounced      bool       `bun:"expiry_announced"`
}

// optionalText is a text column that holds NULL for the empty string (a reference to no card).
func optionalText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func textOrEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func newCardRow(c *credential.OTPCard) cardRow {
	s := c.Snapshot()
	l := s.Grid.Layout()
	secret := s.Grid.Secret()
	verifiers := make([]byte, 0, len(secret.Verifiers)*16)
	for _, v := range secret.Verifiers {
		verifiers = append(verifiers, v...)
	}
	uses := make([]byte, l.Cells())
	for i, u := range s.Grid.Uses() {
		uses[i] = byte(min(u, 255))
	}
	var challenge []int16
	for _, cell := range s.Challenge {
		challenge = append(challenge, int16(cell))
	}
	return cardRow{
		ExtID: s.ExtID, ClientExtID: s.ClientExtID, UserExtID: s.UserExtID, PolicyExtID: s.PolicyExtID,
		Serial: string(s.Serial), State: string(s.State), StateChangeReason: s.StateChangeReason, StateChangeDetail: s.StateChangeDetail,
		ValidFrom: s.ValidFrom.UTC(), ValidTo: s.ValidTo.UTC(),
		LastSuccessfulLogin: optionalTime(s.LastSuccessfulLogin), LastFailedLogin: optionalTime(s.LastFailedLogin),
		SuccessfulLoginCount: s.SuccessfulLoginCount, FailedLoginCount: s.FailedLoginCount,
		ModificationComment: s.ModificationComment,
		Rows:                int16(l.Rows), Cols: int16(l.Cols), CellLength: int16(l.CellLength),
		Charset: string(l.Charset), Coordinate: l.Coordinate,
		Scheme: secret.Scheme, Salt: secret.Salt, Verifiers: verifiers, Uses: uses,
		Challenge: challenge, LockedUntil: optionalTime(s.LockedUntil), ResumeState: string(s.ResumeState),
		Created: s.Created.UTC(), LastModified: s.LastModified.UTC(), Version: s.Version,
		PredecessorExtID: optionalText(s.PredecessorExtID), SuccessorExtID: optionalText(s.SuccessorExtID),
		RenewedAt: optionalTime(s.RenewedAt), CloseAnnounced: s.CloseToExpiryAnnounced, ExpiryAnnounced: s.ExpiryAnnounced,
	}
}

func (r cardRow) card() (*credential.OTPCard, error) {
	l := credential.Layout{Rows: int(r.Rows), Cols: int(r.Cols), CellLength: int(r.CellLength),
		Charset: credential.Charset(r.Charset), Coordinate: r.Coordinate}
	n := l.Cells()
	if n == 0 || len(r.Verifiers)%n != 0 || len(r.Uses) != n {
		return nil, fmt.Errorf("otp card %s: stored grid is inconsistent", r.ExtID)
	}
	// The card gets its own copies of the secret bytes: the row stays as it was loaded, so that
	// updateCard compares the new grid against what is stored even if a card's bytes were ever
	// changed in place.
	width := len(r.Verifiers) / n
	all := bytes.Clone(r.Verifiers)
	verifiers := make([][]byte, n)
	uses := make([]int, n)
	for i := range verifiers {
		verifiers[i] = all[i*width : (i+1)*width : (i+1)*width]
		uses[i] = int(r.Uses[i])
	}
	var challenge []int
	for _, cell := range r.Challenge {
		if int(cell) < 0 || int(cell) >= n {
			return nil, fmt.Errorf("otp card %s: stored challenge is inconsistent", r.ExtID)
		}
		challenge = append(challenge, int(cell))
	}
	grid := credential.RestoreGrid(l, credential.Secret{Scheme: r.Scheme, Salt: bytes.Clone(r.Salt), Verifiers: verifiers}, uses)
	return credential.RestoreOTPCard(credential.Snapshot{
		ExtID: r.ExtID, ClientExtID: r.ClientExtID, UserExtID: r.UserExtID, PolicyExtID: r.PolicyExtID,
		Serial: credential.Serial(r.Serial), State: credential.State(r.State), StateChangeReason: r.StateChangeReason, StateChangeDetail: r.StateChangeDetail,
		ValidFrom: r.ValidFrom.UTC(), ValidTo: r.ValidTo.UTC(),
		LastSuccessfulLogin: timeOrZero(r.LastSuccessfulLogin), LastFailedLogin: timeOrZero(r.LastFailedLogin),
		SuccessfulLoginCount: r.SuccessfulLoginCount, FailedLoginCount: r.FailedLoginCount,
		ModificationComment: r.ModificationComment,
		Created:             r.Created.UTC(), LastModified: r.LastModified.UTC(), Version: r.Version,
		Grid: grid, Challenge: challenge, LockedUntil: timeOrZero(r.LockedUntil),
		ResumeState:      credential.State(r.ResumeState),
		PredecessorExtID: textOrEmpty(r.PredecessorExtID), SuccessorExtID: textOrEmpty(r.SuccessorExtID),
		RenewedAt: timeOrZero(r.RenewedAt), CloseToExpiryAnnounced: r.CloseAnnounced, ExpiryAnnounced: r.ExpiryAnnounced,
	}), nil
}
