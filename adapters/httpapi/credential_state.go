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
	// Members left out, or null, stay as they are; a null modificationComment removes it.
	var body struct {
		StateName           optional[string] `json:"stateName"`
		ModificationComment optional[string] `json:"modificationComment"`
		Version             version          `json:"version"`
	}
	if err := decodeBody(c, &body); err != nil {
		s.writeError(c, err)
		return
	}
	cmd := appcredential.ChangeStateCommand{Caller: callerOf(c), Key: key, Version: body.Version.value}
	if body.StateName.set && !body.StateName.null {
		cmd.StateName = &body.StateName.value
	}
	if body.ModificationComment.set {
		cmd.Comment = &body.ModificationComment.value
	}
	card, err := s.ChangeCardState.Do(c.Request.Context(), cmd)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, maskedWire(card))
}
