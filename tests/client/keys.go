package client

// Paths. Ids go into paths as they are written, unescaped: a valid extId ([A-Za-z0-9._~:-], API.md
// section 1) needs no escaping, and a test of a bad id writes it as it goes on the wire
// ("bad%20id").
const (
	CorePath    = "/nevisidm/api/core/v1"
	AuthPath    = "/nevisidm/api/auth/v1"
	AuditPath   = "/otpcard/api/v1/audit-events"
	ClientsPath = CorePath + "/clients"
)

// ClientPath is the path of a client: /clients/{clientExtId}.
func ClientPath(client string) string { return ClientsPath + "/" + client }

// UsersPath is where a client's users are created: /{clientExtId}/users.
func UsersPath(client string) string { return CorePath + "/" + client + "/users" }

// UserListPath is where a client's users are listed: /clients/{clientExtId}/users.
func UserListPath(client string) string { return ClientPath(client) + "/users" }

// PoliciesPath is where a client's policies are created: /{clientExtId}/policies.
func PoliciesPath(client string) string { return CorePath + "/" + client + "/policies" }

// PolicyListPath is where a client's policies are listed: /clients/{clientExtId}/policies.
func PolicyListPath(client string) string { return ClientPath(client) + "/policies" }

// CardListPath is where a client's cards are found by serial number (ext):
// /clients/{clientExtId}/otp-credentials.
func CardListPath(client string) string { return ClientPath(client) + "/otp-credentials" }

// UserKey names a user of a client.
type UserKey struct{ Client, User string }

// Path is /{clientExtId}/users/{userExtId}.
func (k UserKey) Path() string { return UsersPath(k.Client) + "/" + k.User }

// CardsPath is the user's OTP credentials: .../users/{userExtId}/otp-credentials.
func (k UserKey) CardsPath() string { return k.Path() + "/otp-credentials" }

// ChallengePath is the user's challenge in the auth API: .../users/{userExtId}/otp/challenge.
func (k UserKey) ChallengePath() string {
	return AuthPath + "/" + k.Client + "/users/" + k.User + "/otp/challenge"
}

// LoginPath is the user's login in the auth API: .../users/{userExtId}/otp/login.
func (k UserKey) LoginPath() string {
	return AuthPath + "/" + k.Client + "/users/" + k.User + "/otp/login"
}

// Card names one of the user's cards.
func (k UserKey) Card(card string) CardKey {
	return CardKey{Client: k.Client, User: k.User, Card: card}
}

// CardKey names an OTP card of a user of a client.
type CardKey struct{ Client, User, Card string }

// UserKey is the card's user.
func (k CardKey) UserKey() UserKey { return UserKey{Client: k.Client, User: k.User} }

// Path is .../users/{userExtId}/otp-credentials/{extId}.
func (k CardKey) Path() string { return k.UserKey().CardsPath() + "/" + k.Card }

// ReplacePath is .../otp-credentials/{extId}/replace.
func (k CardKey) ReplacePath() string { return k.Path() + "/replace" }

// RenewPath is .../otp-credentials/{extId}/renew (ext).
func (k CardKey) RenewPath() string { return k.Path() + "/renew" }

// PolicyKey names a policy of a client.
type PolicyKey struct{ Client, Policy string }

// Path is /{clientExtId}/policies/{policyExtId}.
func (k PolicyKey) Path() string { return PoliciesPath(k.Client) + "/" + k.Policy }
