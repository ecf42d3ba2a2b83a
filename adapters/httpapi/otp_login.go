package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/extid"
)

// authPath is the base path of nevisIDM's auth v1 API.
const authPath = "/nevisidm/api/auth/v1"

type challengeJSON struct {
	// Challenge is null when the card has no cell left to ask (API.md section 6).
	Challenge           *string `json:"challenge"`
	Status              string  `json:"status"`
	CredentialExtID     string  `json:"credentialExtId"`
	SerialNumber        string  `json:"serialNumber,omitempty"`
	RemainingChallenges int     `json:"remainingChallenges"`
}

// challengeBody is the optional body of POST .../otp/challenge: it picks the card by extId or by
// serial number (API.md section 6).
type challengeBody struct {
	CredentialExtID optional[string] `json:"credentialExtId"`
	SerialNumber    optional[string] `json:"serialNumber"`
}

func challengeCommand(c *gin.Context) (appcredential.ChallengeCommand, error) {
	u, err := userPath(c)
	if err != nil {
		return appcredential.ChallengeCommand{}, err
	}
	cmd := appcredential.ChallengeCommand{Caller: callerOf(c), ClientExtID: u.client, UserExtID: u.id}
	var body challengeBody
	present, err := decodeOptionalBody(c, &body)
	if err != nil || !present {
		return cmd, err
	}
	if body.CredentialExtID.null || body.SerialNumber.null || (body.CredentialExtID.set && body.SerialNumber.set) {
		return cmd, fmt.Errorf("%w: a challenge body names the card by credentialExtId or by serialNumber, one of them, as a string", errInvalidData)
	}
	switch {
	case body.CredentialExtID.set:
		if err := extid.Validate(body.CredentialExtID.value); err != nil {
			return cmd, fmt.Errorf("%w: credentialExtId: %v", errInvalidData, err)
		}
		cmd.Card.ExtID = body.CredentialExtID.value
	case body.SerialNumber.set:
		cmd.Card.Serial, err = credential.ParseSerial(body.SerialNumber.value)
	}
	return cmd, err
}

// decodeOptionalBody reads a body that may be left out: no body, or one of white space alone
// (with any content type), reports false; anything else is decoded as decodeBody does.
func decodeOptionalBody(c *gin.Context, dst any) (bool, error) {
	r := c.Request
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return false, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return false, fmt.Errorf("%w: the body exceeds %d bytes", errTooLarge, maxBodyBytes)
		}
		return false, fmt.Errorf("%w: the body could not be read", errInvalidData)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return false, nil
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	return true, decodeBody(c, dst)
}

func challengeWire(out appcredential.ChallengeIssued) challengeJSON {
	resp := challengeJSON{Status: string(out.Card.State()), CredentialExtID: out.Card.ExtID(),
		SerialNumber: out.Card.Serial().String(), RemainingChallenges: out.Card.RemainingChallenges()}
	if out.Label != "" {
		resp.Challenge = &out.Label
	}
	return resp
}

// loginDescriptions explain nevisIDM's status codes.
var loginDescriptions = map[int]string{
	credential.StatusLoginOK:       "Login Ok",
	credential.StatusFailed:        "Login failed",
	credential.StatusFailedLastTry: "Login failed; the next failure locks the credential",
	credential.StatusFailLocked:    "Login failed; the credential is now locked",
	credential.StatusTmpLocked:     "Login failed; the credential is now temporarily locked",
}

type loginJSON struct {
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

// loginBody is the body of POST .../otp/login.
type loginBody struct {
	Challenge                optional[string] `json:"challenge"`
	Password                 optional[string] `json:"password"`
	UpdateLoginInfoOnSuccess optional[bool]   `json:"updateLoginInfoOnSuccess"`
}

func loginCommand(c *gin.Context) (appcredential.LoginCommand, error) {
	u, body, err := withBody[loginBody](c, userPath)
	if err != nil {
		return appcredential.LoginCommand{}, err
	}
	// A malformed login is the login server's bug, not the user's guess: it is refused before it
	// reaches the card, so it neither counts as a failure nor consumes the challenge.
	if !body.Challenge.present() || body.Challenge.value == "" || !body.Password.present() {
		return appcredential.LoginCommand{}, fmt.Errorf("%w: a login carries the challenge it answers and the password, both strings", errInvalidData)
	}
	if body.UpdateLoginInfoOnSuccess.null {
		return appcredential.LoginCommand{}, fmt.Errorf("%w: updateLoginInfoOnSuccess must be true or false", errInvalidData)
	}
	return appcredential.LoginCommand{Caller: callerOf(c), ClientExtID: u.client, UserExtID: u.id,
		Challenge: body.Challenge.value, Password: body.Password.value,
		UpdateLoginInfo: !body.UpdateLoginInfoOnSuccess.set || body.UpdateLoginInfoOnSuccess.value}, nil
}

func loginWire(out appcredential.LoginOutcome) loginJSON {
	snap := out.Card.Snapshot()
	return loginJSON{
		StatusCode: out.Result.StatusCode, Description: loginDescriptions[out.Result.StatusCode],
		UserExtID: snap.UserExtID, ClientExtID: snap.ClientExtID, CredentialExtID: snap.ExtID,
		CredentialType: credential.Type, SerialNumber: snap.Serial.String(), StateName: string(snap.State),
		LastSuccessfulLoginDate: optTimeJSON(snap.LastSuccessfulLogin), SuccessfulLoginCount: snap.SuccessfulLoginCount,
		LastFailedLoginDate: optTimeJSON(snap.LastFailedLogin), FailedLoginCount: snap.FailedLoginCount,
		RemainingChallenges: out.Card.RemainingChallenges(), LockedUntil: optTimeJSON(out.Card.LockedUntil()),
	}
}
