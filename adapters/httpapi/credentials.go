package httpapi

import (
	"fmt"

	"github.com/gin-gonic/gin"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/credential"
)

// credentialJSON is the seed's credential schema, plus remainingChallenges and lockedUntil.
type credentialJSON struct {
	Created                 string             `json:"created"`
	LastModified            string             `json:"lastModified"`
	Version                 int32              `json:"version"`
	ExtID                   string             `json:"extId"`
	UserExtID               string             `json:"userExtId"`
	PolicyExtID             string             `json:"policyExtId"`
	SerialNumber            string             `json:"serialNumber,omitempty"`
	StateName               string             `json:"stateName"`
	StateChangeReason       string             `json:"stateChangeReason,omitempty"`
	StateChangeDetail       string             `json:"stateChangeDetail,omitempty"`
	LastSuccessfulLoginDate string             `json:"lastSuccessfulLoginDate,omitempty"`
	SuccessfulLoginCount    int32              `json:"successfulLoginCount"`
	LastFailedLoginDate     string             `json:"lastFailedLoginDate,omitempty"`
	FailedLoginCount        int32              `json:"failedLoginCount"`
	ModificationComment     string             `json:"modificationComment,omitempty"`
	Type                    string             `json:"type"`
	Validity                credentialValidity `json:"validity"`
	OTP                     string             `json:"otp"`
	RemainingChallenges     int                `json:"remainingChallenges"`
	LockedUntil             string             `json:"lockedUntil,omitempty"`
	Expired                 bool               `json:"expired,omitempty"`
	PredecessorExtID        string             `json:"predecessorExtId,omitempty"`
	SuccessorExtID          string             `json:"successorExtId,omitempty"`
}

type credentialValidity struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// credentialWire renders a card; clear holds its cells right after generation, nil masks them.
func credentialWire(card *credential.OTPCard, clear []string) credentialJSON {
	s := card.Snapshot()
	out := credentialJSON{
		Created: timeJSON(s.Created), LastModified: timeJSON(s.LastModified), Version: s.Version,
		ExtID: s.ExtID, UserExtID: s.UserExtID, PolicyExtID: s.PolicyExtID, SerialNumber: s.Serial.String(),
		StateName: string(s.State), StateChangeReason: s.StateChangeReason, StateChangeDetail: s.StateChangeDetail,
		LastSuccessfulLoginDate: optTimeJSON(s.LastSuccessfulLogin), SuccessfulLoginCount: s.SuccessfulLoginCount,
		LastFailedLoginDate: optTimeJSON(s.LastFailedLogin), FailedLoginCount: s.FailedLoginCount,
		ModificationComment: s.ModificationComment, Type: credential.Type,
		Validity: credentialValidity{From: timeJSON(s.ValidFrom), To: timeJSON(s.ValidTo)},
		OTP:      card.OTP(clear), RemainingChallenges: card.RemainingChallenges(), Expired: card.IsExpired(),
		PredecessorExtID: s.PredecessorExtID, SuccessorExtID: s.SuccessorExtID,
	}
	if s.State == credential.StateTmpLocked {
		out.LockedUntil = optTimeJSON(s.LockedUntil)
	}
	return out
}

func maskedWire(card *credential.OTPCard) credentialJSON { return credentialWire(card, nil) }

// userPath reads the client and user of a user's path, a credential's path included.
func userPath(c *gin.Context) (pathKey, error) { return underClient(c, "userExtId") }

// cardKey reads the full path of one credential.
func cardKey(c *gin.Context) (appcredential.CardKey, error) {
	u, err := userPath(c)
	if err != nil {
		return appcredential.CardKey{}, err
	}
	id, err := pathID(c, "extId")
	return appcredential.CardKey{ClientExtID: u.client, UserExtID: u.id, ExtID: id}, err
}

func cardsWire(res listing.Result[*credential.OTPCard]) listJSON[credentialJSON] {
	return listOf(res, maskedWire)
}

func cardLocation(card *credential.OTPCard) string {
	s := card.Snapshot()
	return corePath + "/" + s.ClientExtID + "/users/" + s.UserExtID + "/otp-credentials/" + s.ExtID
}

// createCardBody is the body of POST .../otp-credentials.
type createCardBody struct {
	ExtID       *string `json:"extId"`
	PolicyExtID string  `json:"policyExtId"`
	StateName   string  `json:"stateName"`
}

func createCardCommand(c *gin.Context) (appcredential.CreateCommand, error) {
	u, body, err := withBody[createCardBody](c, userPath)
	if err != nil {
		return appcredential.CreateCommand{}, err
	}
	extID, err := requestedExtID(body.ExtID)
	return appcredential.CreateCommand{Caller: callerOf(c), ClientExtID: u.client, UserExtID: u.id,
		ExtID: extID, PolicyExtID: body.PolicyExtID, StateName: body.StateName}, err
}

func listCardsQuery(c *gin.Context) (appcredential.ListCardsQuery, error) {
	u, page, err := withPage(c, userPath)
	if err != nil {
		return appcredential.ListCardsQuery{}, err
	}
	serial, _, err := serialFilter(c)
	return appcredential.ListCardsQuery{Caller: callerOf(c), ClientExtID: u.client, UserExtID: u.id,
		Serial: serial, Page: page}, err
}

// findCardQuery reads GET /clients/{clientExtId}/otp-credentials?serialNumber=, where the filter
// is required: the help desk looks a card up by the serial printed on it.
func findCardQuery(c *gin.Context) (appcredential.FindBySerialQuery, error) {
	clientID, page, err := withPage(c, clientPath)
	if err != nil {
		return appcredential.FindBySerialQuery{}, err
	}
	serial, given, err := serialFilter(c)
	if err == nil && !given {
		err = fmt.Errorf("%w: the query serialNumber names the card to find", errInvalidData)
	}
	return appcredential.FindBySerialQuery{Caller: callerOf(c), ClientExtID: clientID, Serial: serial, Page: page}, err
}

// serialFilter reads the query serialNumber: at most once, a serial number as users type it.
func serialFilter(c *gin.Context) (credential.Serial, bool, error) {
	values, ok := c.GetQueryArray("serialNumber")
	if !ok {
		return "", false, nil
	}
	if len(values) != 1 {
		return "", true, fmt.Errorf("%w: serialNumber must be given once", errInvalidData)
	}
	serial, err := credential.ParseSerial(values[0])
	return serial, true, err
}

func getCardQuery(c *gin.Context) (appcredential.GetCardQuery, error) {
	key, err := cardKey(c)
	return appcredential.GetCardQuery{Caller: callerOf(c), Key: key}, err
}

func deleteCardCommand(c *gin.Context) (appcredential.DeleteCardCommand, error) {
	key, err := cardKey(c)
	return appcredential.DeleteCardCommand{Caller: callerOf(c), Key: key}, err
}

// replaceCardBody is the body of POST .../replace.
type replaceCardBody struct {
	ModificationComment string  `json:"modificationComment"`
	Version             version `json:"version"`
}

// renewCardBody is the body of POST .../renew (ext): the successor's extId and comment, and the
// renewed card's version.
type renewCardBody struct {
	ExtID               *string `json:"extId"`
	ModificationComment string  `json:"modificationComment"`
	Version             version `json:"version"`
}

func renewCardCommand(c *gin.Context) (appcredential.RenewCommand, error) {
	key, body, err := withBody[renewCardBody](c, cardKey)
	if err != nil {
		return appcredential.RenewCommand{}, err
	}
	extID, err := requestedExtID(body.ExtID)
	return appcredential.RenewCommand{Caller: callerOf(c), Key: key, ExtID: extID, Version: body.Version.value,
		Comment: body.ModificationComment}, err
}

func replaceCardCommand(c *gin.Context) (appcredential.ReplaceCommand, error) {
	key, body, err := withBody[replaceCardBody](c, cardKey)
	if err != nil {
		return appcredential.ReplaceCommand{}, err
	}
	return appcredential.ReplaceCommand{Caller: callerOf(c), Key: key, Version: body.Version.value,
		Comment: body.ModificationComment}, nil
}

// patchCardBody is the body of PATCH .../otp-credentials/{extId} (API.md section 4): members left
// out, or null, stay as they are; a null modificationComment removes it.
type patchCardBody struct {
	StateName           optional[string] `json:"stateName"`
	ModificationComment optional[string] `json:"modificationComment"`
	Version             version          `json:"version"`
}

func patchCardCommand(c *gin.Context) (appcredential.ChangeStateCommand, error) {
	key, body, err := withBody[patchCardBody](c, cardKey)
	if err != nil {
		return appcredential.ChangeStateCommand{}, err
	}
	cmd := appcredential.ChangeStateCommand{Caller: callerOf(c), Key: key, Version: body.Version.value}
	if body.StateName.present() {
		cmd.StateName = &body.StateName.value
	}
	if body.ModificationComment.set {
		cmd.Comment = &body.ModificationComment.value
	}
	return cmd, nil
}

// Media types of a freshly issued card.
const (
	mimePDF  = "application/pdf"
	mimeJSON = "application/json"
)

// Printer renders a freshly issued card as a PDF, in memory.
type Printer func(appcredential.Issued) ([]byte, error)

// issued answers a freshly issued card with status: JSON with the cells in clear, or the
// printable card as a PDF when the request prefers one (RFC 9110). Neither is ever stored; with
// withLocation the answer names the new credential.
func issued(w writeErr, print Printer, status int, withLocation bool) func(*gin.Context, appcredential.Issued) {
	return func(c *gin.Context, is appcredential.Issued) {
		if withLocation {
			c.Header("Location", cardLocation(is.Card))
		}
		if print == nil || !prefersPDF(c.GetHeader("Accept")) {
			c.JSON(status, credentialWire(is.Card, is.Clear))
			return
		}
		pdf, err := print(is)
		if err != nil {
			w(c, fmt.Errorf("print card: %w", err))
			return
		}
		c.Header("Content-Disposition", `attachment; filename="otp-card-`+is.Card.ExtID()+`.pdf"`)
		c.Data(status, mimePDF, pdf)
	}
}
