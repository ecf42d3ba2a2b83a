package httpapi

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	appcredential "github.com/otpcard/otpcard/application/credential"
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
		ExtID: s.ExtID, UserExtID: s.UserExtID, PolicyExtID: s.PolicyExtID,
		StateName: string(s.State), StateChangeReason: s.StateChangeReason, StateChangeDetail: s.StateChangeDetail,
		LastSuccessfulLoginDate: optTimeJSON(s.LastSuccessfulLogin), SuccessfulLoginCount: s.SuccessfulLoginCount,
		LastFailedLoginDate: optTimeJSON(s.LastFailedLogin), FailedLoginCount: s.FailedLoginCount,
		ModificationComment: s.ModificationComment, Type: credential.Type,
		Validity: credentialValidity{From: timeJSON(s.ValidFrom), To: timeJSON(s.ValidTo)},
		OTP:      card.OTP(clear), RemainingChallenges: card.RemainingChallenges(),
	}
	if s.State == credential.StateTmpLocked {
		out.LockedUntil = optTimeJSON(s.LockedUntil)
	}
	return out
}

func maskedWire(card *credential.OTPCard) credentialJSON { return credentialWire(card, nil) }

// userPath reads the client and user of a credential path.
func userPath(c *gin.Context) (string, string, error) {
	clientID, err := pathID(c, "clientExtId")
	if err != nil {
		return "", "", err
	}
	userID, err := pathID(c, "userExtId")
	return clientID, userID, err
}

// cardKey reads the full path of one credential.
func cardKey(c *gin.Context) (appcredential.CardKey, error) {
	clientID, userID, err := userPath(c)
	if err != nil {
		return appcredential.CardKey{}, err
	}
	id, err := pathID(c, "extId")
	return appcredential.CardKey{ClientExtID: clientID, UserExtID: userID, ExtID: id}, err
}

func (s *server) createCard(c *gin.Context) {
	clientID, userID, err := userPath(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var body struct {
		ExtID       *string `json:"extId"`
		PolicyExtID string  `json:"policyExtId"`
		StateName   string  `json:"stateName"`
	}
	if err := decodeBody(c, &body); err != nil {
		s.writeError(c, err)
		return
	}
	extID, err := requestedExtID(body.ExtID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	issued, err := s.CreateCard.Do(c.Request.Context(), appcredential.CreateCommand{
		Caller: callerOf(c), ClientExtID: clientID, UserExtID: userID,
		ExtID: extID, PolicyExtID: body.PolicyExtID, StateName: body.StateName})
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Location", corePath+"/"+clientID+"/users/"+userID+"/otp-credentials/"+issued.Card.ExtID())
	s.writeIssued(c, http.StatusCreated, issued)
}

func (s *server) listCards(c *gin.Context) {
	clientID, userID, err := userPath(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.ReadCards.ListOTPCards(c.Request.Context(), callerOf(c), clientID, userID, page)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(res, page, maskedWire))
}

func (s *server) getCard(c *gin.Context) {
	key, err := cardKey(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	card, err := s.ReadCards.GetOTPCard(c.Request.Context(), callerOf(c), key)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, maskedWire(card))
}

func (s *server) deleteCard(c *gin.Context) {
	key, err := cardKey(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.DeleteCard.Do(c.Request.Context(), callerOf(c), key); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *server) replaceCard(c *gin.Context) {
	key, err := cardKey(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var body struct {
		ModificationComment string  `json:"modificationComment"`
		Version             version `json:"version"`
	}
	if err := decodeBody(c, &body); err != nil {
		s.writeError(c, err)
		return
	}
	issued, err := s.ReplaceCard.Do(c.Request.Context(), appcredential.ReplaceCommand{
		Caller: callerOf(c), Key: key, Version: body.Version.value, Comment: body.ModificationComment})
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.writeIssued(c, http.StatusOK, issued)
}

// Media types of a freshly issued card.
const (
	mimePDF  = "application/pdf"
	mimeJSON = "application/json"
)

// writeIssued answers a freshly issued card: JSON with the cells in clear, or the printable card
// as a PDF when the client asks for one. Neither is ever stored.
func (s *server) writeIssued(c *gin.Context, status int, issued appcredential.Issued) {
	if s.PrintCard == nil || !prefersPDF(c.GetHeader("Accept")) {
		c.JSON(status, credentialWire(issued.Card, issued.Clear))
		return
	}
	pdf, err := s.PrintCard(issued.Card, issued.Clear)
	if err != nil {
		s.writeError(c, fmt.Errorf("print card: %w", err))
		return
	}
	c.Header("Content-Disposition", `attachment; filename="otp-card-`+issued.Card.ExtID()+`.pdf"`)
	c.Data(status, mimePDF, pdf)
}
