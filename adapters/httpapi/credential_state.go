package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	appcredential "github.com/otpcard/otpcard/application/credential"
)

// patchCard changes a credential's state or comment (API.md section 4, PATCH) and answers with
// the credential, its card masked.
func (s *server) patchCard(c *gin.Context) {
	key, err := cardKey(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var body struct {
		StateName           string  `json:"stateName"`
		ModificationComment string  `json:"modificationComment"`
		Version             version `json:"version"`
	}
	if err := decodeBody(c, &body); err != nil {
		s.writeError(c, err)
		return
	}
	card, err := s.ChangeCardState.Do(c.Request.Context(), appcredential.ChangeStateCommand{
		Caller: callerOf(c), Key: key, StateName: body.StateName,
		Comment: body.ModificationComment, Version: body.Version.value})
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, maskedWire(card))
}
