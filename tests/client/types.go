package client

// The wire types, named as the schemas of openapi.json. In request bodies, a pointer or a nil map
// is a member left out (a PATCH leaves the stored value alone); members that can only be sent or
// left out are plain values with omitempty. A body a type cannot express (null, a wrong type, an
// empty extId) is a raw Request.

// Ptr returns a pointer to v, for the members of PATCH bodies.
func Ptr[V any](v V) *V { return &v }

// Client is a nevisIDM client: a tenant.
type Client struct {
	ExtID        string            `json:"extId"`
	Name         string            `json:"name"`
	DisplayName  map[string]string `json:"displayName,omitempty"`
	Remarks      string            `json:"remarks,omitempty"`
	Created      string            `json:"created"`
	LastModified string            `json:"lastModified"`
	Version      int32             `json:"version"`
}

// ClientCreate is the body of POST /clients.
type ClientCreate struct {
	ExtID       string            `json:"extId,omitempty"`
	Name        string            `json:"name"`
	DisplayName map[string]string `json:"displayName,omitempty"`
	Remarks     string            `json:"remarks,omitempty"`
	// ModificationComment and Version are accepted on create as on every write (API.md section 3).
	ModificationComment string `json:"modificationComment,omitempty"`
	Version             any    `json:"version,omitempty"`
}

// ClientPatch is the body of PATCH /clients/{clientExtId}.
type ClientPatch struct {
	Name                *string           `json:"name,omitempty"`
	DisplayName         map[string]string `json:"displayName,omitempty"`
	Remarks             *string           `json:"remarks,omitempty"`
	ModificationComment *string           `json:"modificationComment,omitempty"`
	// Version is an int or a decimal string (API.md section 1); nil leaves it out.
	Version any `json:"version,omitempty"`
}

// UserName is a user's name.
type UserName struct {
	Title      string `json:"title,omitempty"`
	FirstName  string `json:"firstName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

// UserContacts are a user's e-mail and phone numbers (E.164).
type UserContacts struct {
	Email     string `json:"email,omitempty"`
	Mobile    string `json:"mobile,omitempty"`
	Telephone string `json:"telephone,omitempty"`
}

// UserAddress is a user's postal address.
type UserAddress struct {
	Addressline1        string `json:"addressline1,omitempty"`
	Addressline2        string `json:"addressline2,omitempty"`
	PostalCode          string `json:"postalCode,omitempty"`
	City                string `json:"city,omitempty"`
	Street              string `json:"street,omitempty"`
	HouseNumber         string `json:"houseNumber,omitempty"`
	CountryCode         string `json:"countryCode,omitempty"`
	DwellingNumber      string `json:"dwellingNumber,omitempty"`
	PostOfficeBoxText   string `json:"postOfficeBoxText,omitempty"`
	PostOfficeBoxNumber string `json:"postOfficeBoxNumber,omitempty"`
	Locality            string `json:"locality,omitempty"`
}

// UserValidity is when a user may authenticate.
type UserValidity struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// UserDetails are the optional members of a user, the same in a create body and in the user
// answered: a create sets them, a read shows them.
type UserDetails struct {
	Name            *UserName         `json:"name,omitempty"`
	Contacts        *UserContacts     `json:"contacts,omitempty"`
	LanguageCode    string            `json:"languageCode,omitempty"`
	Remarks         string            `json:"remarks,omitempty"`
	IsTechnicalUser *bool             `json:"isTechnicalUser,omitempty"`
	Sex             string            `json:"sex,omitempty"`
	Gender          string            `json:"gender,omitempty"`
	BirthDate       string            `json:"birthDate,omitempty"`
	Address         *UserAddress      `json:"address,omitempty"`
	Validity        *UserValidity     `json:"validity,omitempty"`
	Properties      map[string]string `json:"properties,omitempty"`
}

// User is a person in a client.
type User struct {
	ExtID       string `json:"extId"`
	ClientExtID string `json:"clientExtId"`
	LoginID     string `json:"loginId"`
	UserState   string `json:"userState"`
	UserDetails
	Created      string `json:"created"`
	LastModified string `json:"lastModified"`
	Version      int32  `json:"version"`
}

// UserCreate is the body of POST /{clientExtId}/users.
type UserCreate struct {
	ExtID     string `json:"extId,omitempty"`
	LoginID   string `json:"loginId"`
	UserState string `json:"userState,omitempty"`
	UserDetails
	// ModificationComment and Version are accepted on create as on every write (API.md section 3).
	ModificationComment string `json:"modificationComment,omitempty"`
	Version             any    `json:"version,omitempty"`
}

// UserPatch is the body of PATCH /{clientExtId}/users/{userExtId}: members present replace the
// stored ones whole.
type UserPatch struct {
	LoginID             *string           `json:"loginId,omitempty"`
	UserState           *string           `json:"userState,omitempty"`
	Name                *UserName         `json:"name,omitempty"`
	Contacts            *UserContacts     `json:"contacts,omitempty"`
	LanguageCode        *string           `json:"languageCode,omitempty"`
	Remarks             *string           `json:"remarks,omitempty"`
	IsTechnicalUser     *bool             `json:"isTechnicalUser,omitempty"`
	Sex                 *string           `json:"sex,omitempty"`
	Gender              *string           `json:"gender,omitempty"`
	BirthDate           *string           `json:"birthDate,omitempty"`
	Address             *UserAddress      `json:"address,omitempty"`
	Validity            *UserValidity     `json:"validity,omitempty"`
	Properties          map[string]string `json:"properties,omitempty"`
	ModificationComment *string           `json:"modificationComment,omitempty"`
	Version             any               `json:"version,omitempty"`
}

// Policy is an OTPCardPolicy configuration of a client.
type Policy struct {
	ExtID         string            `json:"extId"`
	ClientExtID   string            `json:"clientExtId"`
	Name          string            `json:"name"`
	Description   string            `json:"description,omitempty"`
	PolicyType    string            `json:"policyType"`
	DefaultPolicy bool              `json:"defaultPolicy"`
	Parameters    map[string]string `json:"parameters"`
	Created       string            `json:"created"`
	LastModified  string            `json:"lastModified"`
	Version       int32             `json:"version"`
}

// PolicyCreate is the body of POST /{clientExtId}/policies.
type PolicyCreate struct {
	ExtID         string            `json:"extId,omitempty"`
	Name          string            `json:"name"`
	Description   string            `json:"description,omitempty"`
	PolicyType    string            `json:"policyType,omitempty"`
	DefaultPolicy bool              `json:"defaultPolicy,omitempty"`
	Parameters    map[string]string `json:"parameters,omitempty"`
	Version       any               `json:"version,omitempty"`
}

// PolicyPatch is the body of PATCH /{clientExtId}/policies/{policyExtId}; parameters, when
// present, replace the stored ones whole.
type PolicyPatch struct {
	Name          *string           `json:"name,omitempty"`
	Description   *string           `json:"description,omitempty"`
	DefaultPolicy *bool             `json:"defaultPolicy,omitempty"`
	Parameters    map[string]string `json:"parameters,omitempty"`
	Version       any               `json:"version,omitempty"`
}

// Validity is when a card may be used.
type Validity struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Credential is an OTP card; its otp string carries the cells in clear only in the answers to
// create and replace.
type Credential struct {
	Created                 string   `json:"created"`
	LastModified            string   `json:"lastModified"`
	Version                 int32    `json:"version"`
	ExtID                   string   `json:"extId"`
	UserExtID               string   `json:"userExtId"`
	PolicyExtID             string   `json:"policyExtId"`
	SerialNumber            string   `json:"serialNumber,omitempty"`
	StateName               string   `json:"stateName"`
	StateChangeReason       string   `json:"stateChangeReason,omitempty"`
	StateChangeDetail       string   `json:"stateChangeDetail,omitempty"`
	LastSuccessfulLoginDate string   `json:"lastSuccessfulLoginDate,omitempty"`
	SuccessfulLoginCount    int32    `json:"successfulLoginCount"`
	LastFailedLoginDate     string   `json:"lastFailedLoginDate,omitempty"`
	FailedLoginCount        int32    `json:"failedLoginCount"`
	ModificationComment     string   `json:"modificationComment,omitempty"`
	Type                    string   `json:"type"`
	Validity                Validity `json:"validity"`
	OTP                     string   `json:"otp"`
	RemainingChallenges     int      `json:"remainingChallenges"`
	LockedUntil             string   `json:"lockedUntil,omitempty"`
	Expired                 bool     `json:"expired,omitempty"`
	PredecessorExtID        string   `json:"predecessorExtId,omitempty"`
	SuccessorExtID          string   `json:"successorExtId,omitempty"`
}

// CredentialRenew is the body of POST .../renew (ext).
type CredentialRenew struct {
	ExtID               string `json:"extId,omitempty"`
	ModificationComment string `json:"modificationComment,omitempty"`
	Version             any    `json:"version,omitempty"`
}

// CredentialCreate is the body of POST .../otp-credentials.
type CredentialCreate struct {
	ExtID       string `json:"extId,omitempty"`
	PolicyExtID string `json:"policyExtId,omitempty"`
	StateName   string `json:"stateName,omitempty"`
}

// CredentialPatch is the body of PATCH .../otp-credentials/{extId} (ext).
type CredentialPatch struct {
	StateName           *string `json:"stateName,omitempty"`
	ModificationComment *string `json:"modificationComment,omitempty"`
	Version             any     `json:"version,omitempty"`
}

// CredentialReplace is the body of POST .../otp-credentials/{extId}/replace.
type CredentialReplace struct {
	ModificationComment string `json:"modificationComment,omitempty"`
	Version             any    `json:"version,omitempty"`
}

// PDF is a printable card (Accept: application/pdf).
type PDF []byte

// NoContent is the answer of a 204.
type NoContent struct{}

// Challenge is the answer of POST .../otp/challenge; Challenge is nil when the card has no cell
// left to ask.
type Challenge struct {
	Challenge           *string `json:"challenge"`
	Status              string  `json:"status"`
	CredentialExtID     string  `json:"credentialExtId"`
	SerialNumber        string  `json:"serialNumber,omitempty"`
	RemainingChallenges int     `json:"remainingChallenges"`
}

// ChallengeRequest is the optional body of POST .../otp/challenge that picks the card (ext).
type ChallengeRequest struct {
	CredentialExtID string `json:"credentialExtId,omitempty"`
	SerialNumber    string `json:"serialNumber,omitempty"`
}

// LoginRequest is the body of POST .../otp/login.
type LoginRequest struct {
	Challenge                string `json:"challenge"`
	Password                 string `json:"password"`
	UpdateLoginInfoOnSuccess *bool  `json:"updateLoginInfoOnSuccess,omitempty"`
}

// LoginResult is the answer of a login: statusCode 5 is Login Ok (API.md section 6).
type LoginResult struct {
	StatusCode              int    `json:"statusCode"`
	Description             string `json:"description"`
	UserExtID               string `json:"userExtId"`
	ClientExtID             string `json:"clientExtId"`
	CredentialExtID         string `json:"credentialExtId"`
	CredentialType          string `json:"credentialType"`
	SerialNumber            string `json:"serialNumber,omitempty"`
	StateName               string `json:"stateName"`
	LastSuccessfulLoginDate string `json:"lastSuccessfulLoginDate,omitempty"`
	SuccessfulLoginCount    int32  `json:"successfulLoginCount"`
	LastFailedLoginDate     string `json:"lastFailedLoginDate,omitempty"`
	FailedLoginCount        int32  `json:"failedLoginCount"`
	RemainingChallenges     int    `json:"remainingChallenges"`
	LockedUntil             string `json:"lockedUntil,omitempty"`
}

// Actor is who caused an event.
type Actor struct {
	Subject string `json:"subject"`
	Mode    string `json:"mode"`
}

// AuditEvent is an entry of the audit trail (API.md section 7).
type AuditEvent struct {
	ID              int64             `json:"id"`
	Type            string            `json:"type"`
	Time            string            `json:"time"`
	Actor           Actor             `json:"actor"`
	ClientExtID     string            `json:"clientExtId,omitempty"`
	UserExtID       string            `json:"userExtId,omitempty"`
	CredentialExtID string            `json:"credentialExtId,omitempty"`
	PolicyExtID     string            `json:"policyExtId,omitempty"`
	Version         int32             `json:"version"`
	RequestID       string            `json:"requestId,omitempty"`
	Data            map[string]string `json:"data,omitempty"`
}

// Pagination is the _pagination member of a list.
type Pagination struct {
	ContinuationToken string `json:"continuationToken,omitempty"`
	Limit             int    `json:"limit"`
}

// List is a page of a list.
type List[E any] struct {
	Items      []E        `json:"items"`
	Pagination Pagination `json:"_pagination"`
}

// HealthStatus is the answer of /healthz and /readyz.
type HealthStatus struct {
	Status string `json:"status"`
}

// Problem is an RFC 9457 problem with nevisIDM's error list (API.md section 1.1).
type Problem struct {
	Type        string        `json:"type"`
	Title       string        `json:"title"`
	Status      int           `json:"status"`
	Detail      string        `json:"detail"`
	Errors      []ProblemItem `json:"errors"`
	LockedUntil string        `json:"lockedUntil,omitempty"`
}

// ProblemItem is one nevisIDM error.
type ProblemItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Code is the first error code, or "" when there is none.
func (p Problem) Code() string {
	if len(p.Errors) == 0 {
		return ""
	}
	return p.Errors[0].Code
}

// PrintSettings are a client's print settings (ext, API.md 11.2).
type PrintSettings struct {
	Recipients       []string          `json:"recipients"`
	HelpdeskContact  map[string]string `json:"helpdeskContact,omitempty"`
	InPersonHandover bool              `json:"inPersonHandover"`
}

// PrintSettingsPut is the body of PUT .../print-settings.
type PrintSettingsPut struct {
	Recipients       []string          `json:"recipients"`
	HelpdeskContact  map[string]string `json:"helpdeskContact,omitempty"`
	InPersonHandover bool              `json:"inPersonHandover,omitempty"`
	// Version, when set, must be the client's (optimistic locking).
	Version any `json:"version,omitempty"`
}

// RolloutJobCreate is the JSON body of POST /otpcard/api/v1/{clientExtId}/rollout-jobs (ext).
type RolloutJobCreate struct {
	Kind                string   `json:"kind"`
	Users               []string `json:"users,omitempty"`
	Selection           string   `json:"selection,omitempty"`
	PolicyExtID         string   `json:"policyExtId,omitempty"`
	ModificationComment string   `json:"modificationComment,omitempty"`
}

// RolloutJob is a rollout job (ext).
type RolloutJob struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	Status       string `json:"status"`
	Total        int    `json:"total"`
	Done         int    `json:"done"`
	Failed       int    `json:"failed"`
	PrintBatchID string `json:"printBatchId"`
	PolicyExtID  string `json:"policyExtId"`
	CreatedBy    string `json:"createdBy"`
	Created      string `json:"created"`
	Started      string `json:"started"`
	Finished     string `json:"finished"`
}

// RolloutItem is one item of a rollout job (ext).
type RolloutItem struct {
	N               int    `json:"n"`
	UserExtID       string `json:"userExtId"`
	CredentialExtID string `json:"credentialExtId"`
	SerialNumber    string `json:"serialNumber"`
	Result          string `json:"result"`
	ErrorCode       string `json:"errorCode"`
	Row             int    `json:"row"`
	Column          int    `json:"column"`
}

// PrintBatch is a print batch (ext).
type PrintBatch struct {
	ID      string `json:"id"`
	JobID   string `json:"jobId"`
	Created string `json:"created"`
	Letters int    `json:"letters"`
	Chunks  int    `json:"chunks"`
	Sealed  bool   `json:"sealed"`
	Expires string `json:"expires"`
}

// Archive is a binary answer (a print batch's tar).
type Archive []byte
