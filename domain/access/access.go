// Package access holds the authorization rules of otpcard: who may do what to which client and
// user, following the nevisIDM rights model (admin tokens with roles and rights, self-admin tokens
// bound to one user).
package access

import (
	"fmt"
	"slices"
	"time"

	"github.com/otpcard/otpcard/domain/fault"
)

// Right is a nevisIDM access-control right, written without the "AccessControl." prefix.
type Right string

// The rights of API.md section 2.
const (
	ClientCreate            Right = "ClientCreate"
	ClientView              Right = "ClientView"
	ClientModify            Right = "ClientModify"
	ClientDelete            Right = "ClientDelete"
	UserCreate              Right = "UserCreate"
	UserView                Right = "UserView"
	UserModify              Right = "UserModify"
	UserDelete              Right = "UserDelete"
	PolicyCreate            Right = "PolicyCreate"
	PolicyView              Right = "PolicyView"
	PolicyModify            Right = "PolicyModify"
	PolicyDelete            Right = "PolicyDelete"
	PolicyConfigurationView Right = "PolicyConfigurationView"
	CredentialCreate        Right = "CredentialCreate"
	CredentialView          Right = "CredentialView"
	CredentialModify        Right = "CredentialModify"
	CredentialDelete        Right = "CredentialDelete"
	CredentialChangeState   Right = "CredentialChangeState"
	AuditView               Right = "AuditView"
	// The rights of rollout jobs and print batches (ext, API.md section 11).
	RolloutCreate      Right = "RolloutCreate"
	RolloutView        Right = "RolloutView"
	PrintBatchDownload Right = "PrintBatchDownload"
)

// RightPrefix is the prefix every right carries inside a token.
const RightPrefix = "AccessControl."

// AllRights lists every right in a stable order.
var allRights = []Right{
	ClientCreate, ClientView, ClientModify, ClientDelete,
	UserCreate, UserView, UserModify, UserDelete,
	PolicyCreate, PolicyView, PolicyModify, PolicyDelete, PolicyConfigurationView,
	CredentialCreate, CredentialView, CredentialModify, CredentialDelete, CredentialChangeState,
	AuditView, RolloutCreate, RolloutView, PrintBatchDownload,
}

// AllRights returns every right in a stable order.
func AllRights() []Right { return slices.Clone(allRights) }

// roleRights is the role table of API.md section 2.
func roleRights(role string) []Right {
	switch role {
	case "Root":
		return allRights
	case "ClientRoot":
		out := make([]Right, 0, len(allRights))
		for _, r := range allRights {
			if r != ClientCreate && r != ClientDelete {
				out = append(out, r)
			}
		}
		return out
	case "UserAdmin":
		return []Right{UserCreate, UserView, UserModify, UserDelete,
			CredentialCreate, CredentialView, CredentialModify, CredentialDelete, CredentialChangeState,
			PolicyConfigurationView, PolicyView}
	case "Helpdesk":
		return []Right{UserView, CredentialView, CredentialModify, CredentialChangeState, PolicyConfigurationView}
	case "Auditor":
		return []Right{AuditView, ClientView, UserView, CredentialView}
	case "RolloutOperator":
		return []Right{RolloutCreate, RolloutView, PrintBatchDownload, CredentialCreate, CredentialView, UserView}
	}
	return nil
}

// Mode tells how a caller authenticated.
type Mode int

// The two authentication modes of API.md section 2, and the service itself.
const (
	ModeAdmin Mode = iota + 1
	ModeSelfAdmin
	// ModeSystem is the service acting on its own (the lifecycle job, API.md section 10.4).
	ModeSystem
)

// String names the mode as it is recorded in events.
func (m Mode) String() string {
	switch m {
	case ModeAdmin:
		return "admin"
	case ModeSelfAdmin:
		return "self-admin"
	case ModeSystem:
		return "system"
	}
	return "unknown"
}

// Principal is an authenticated caller.
type Principal struct {
	subject  string
	mode     Mode
	rights   map[Right]bool
	clients  []string // nil: no data room restriction
	authTime time.Time
}

// NewAdmin builds an admin principal from token claims. Unknown roles and rights are ignored.
// clients is the data room; nil means every client, an empty non-nil slice means none.
func NewAdmin(subject string, roles, permissions, clients []string) Principal {
	rights := map[Right]bool{}
	for _, role := range roles {
		for _, r := range roleRights(role) {
			rights[r] = true
		}
	}
	for _, p := range permissions {
		name, ok := cutPrefix(p)
		if !ok {
			continue
		}
		if slices.Contains(allRights, Right(name)) {
			rights[Right(name)] = true
		}
	}
	var room []string
	if clients != nil {
		room = append([]string{}, clients...)
	}
	return Principal{subject: subject, mode: ModeAdmin, rights: rights, clients: room}
}

func cutPrefix(p string) (string, bool) {
	if len(p) > len(RightPrefix) && p[:len(RightPrefix)] == RightPrefix {
		return p[len(RightPrefix):], true
	}
	return "", false
}

// NewSelfAdmin builds a self-admin principal: the user whose extId is subject, authenticated at
// authTime.
func NewSelfAdmin(subject string, authTime time.Time) Principal {
	return Principal{subject: subject, mode: ModeSelfAdmin, authTime: authTime}
}

// System is the service itself as the actor of what it does on its own, such as the lifecycle
// job (API.md section 10.4): subject and mode "system", and no right, so that it can never pass
// an authorization.
func System() Principal { return Principal{subject: "system", mode: ModeSystem} }

// Subject is the principal's name (the user's extId for self-admin callers).
func (p Principal) Subject() string { return p.subject }

// Mode tells how the principal authenticated.
func (p Principal) Mode() Mode { return p.mode }

// AuthTime is when a self-admin user last authenticated.
func (p Principal) AuthTime() time.Time { return p.authTime }

// Has reports whether an admin principal holds the right.
func (p Principal) Has(r Right) bool { return p.mode == ModeAdmin && p.rights[r] }

// Rights lists the principal's effective rights in a stable order.
func (p Principal) Rights() []Right {
	var out []Right
	for _, r := range allRights {
		if p.rights[r] {
			out = append(out, r)
		}
	}
	return out
}

// DataRoom returns the clients the principal may see, and false when it may see every client.
func (p Principal) DataRoom() ([]string, bool) {
	if p.mode != ModeAdmin || p.clients == nil {
		return nil, false
	}
	return slices.Clone(p.clients), true
}

// SeesClient reports whether the client lies inside the principal's data room.
func (p Principal) SeesClient(clientExtID string) bool {
	if p.clients == nil {
		return true
	}
	return slices.Contains(p.clients, clientExtID)
}

// Errors returned by Authorize.
var (
	// ErrPermissionDenied: the caller lacks a right, or a self-admin caller reached beyond itself.
	ErrPermissionDenied = fault.New(fault.Forbidden, "errors.permissionDenied", "permission denied")
	// ErrDataroomDenied: the client lies outside the caller's data room.
	ErrDataroomDenied = fault.New(fault.Forbidden, "errors.dataroomPermissionDenied",
		"the client lies outside the caller's data room")
	// ErrUserNotUsable: the user is disabled or archived, so it cannot authenticate (challenge,
	// login, self-admin tokens), and an archived user receives no card (API.md section 3).
	ErrUserNotUsable = fault.New(fault.Forbidden, "errors.userNotUsable", "user not usable")
	// ErrReauthenticationRequired: a self-admin token is too old for the operation (RFC 9470).
	ErrReauthenticationRequired = fault.New(fault.Unauthenticated, "errors.reauthenticationRequired",
		"a more recent authentication is required")
)

// ReauthenticationRequiredError says how recent the authentication must be (RFC 9470).
type ReauthenticationRequiredError struct {
	MaxAge time.Duration
}

func (e *ReauthenticationRequiredError) Error() string {
	return fmt.Sprintf("the operation needs an authentication at most %s old", e.MaxAge)
}

// Unwrap makes errors.Is(err, ErrReauthenticationRequired) hold.
func (e *ReauthenticationRequiredError) Unwrap() error { return ErrReauthenticationRequired }

// SelfAccess says what a self-admin caller may do with its own resource.
type SelfAccess int

// Self-admin access levels.
const (
	// SelfNone: self-admin callers are refused.
	SelfNone SelfAccess = iota
	// SelfRead: the owner may do it with any valid token.
	SelfRead
	// SelfFresh: the owner may do it with a token whose authentication is recent enough.
	SelfFresh
)

// Request describes one operation to authorize.
type Request struct {
	// Client is the client the operation touches; empty for operations on no client.
	Client string
	// User is the user the operation touches, for the self-admin rule.
	User string
	// Rights an admin caller needs, all of them.
	Rights []Right
	// Self is what a self-admin caller may do.
	Self SelfAccess
	// MaxAuthAge bounds the age of a self-admin authentication for SelfFresh.
	MaxAuthAge time.Duration
}

// Authorize decides whether the principal may perform the request at time now. It returns
// ErrPermissionDenied, ErrDataroomDenied or a *ReauthenticationRequiredError.
func (p Principal) Authorize(req Request, now time.Time) error {
	switch p.mode {
	case ModeAdmin:
		for _, r := range req.Rights {
			if !p.rights[r] {
				return fmt.Errorf("%w: missing right %s%s", ErrPermissionDenied, RightPrefix, r)
			}
		}
		if req.Client != "" && !p.SeesClient(req.Client) {
			return ErrDataroomDenied
		}
		return nil
	case ModeSelfAdmin:
		if req.Self == SelfNone || req.User == "" || req.User != p.subject {
			return fmt.Errorf("%w: self-admin callers may act on their own user only", ErrPermissionDenied)
		}
		if req.Self == SelfFresh && now.Sub(p.authTime) > req.MaxAuthAge {
			return &ReauthenticationRequiredError{MaxAge: req.MaxAuthAge}
		}
		return nil
	}
	return ErrPermissionDenied
}
