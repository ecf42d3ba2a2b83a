package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/otpcard/otpcard/domain/directory"
)

// changeClient is PATCH /clients/{clientExtId}: members present replace the stored ones.
func (s *server) changeClient(c *gin.Context) {
	id, err := pathID(c, "clientExtId")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var body struct {
		Name                optional[string]            `json:"name"`
		DisplayName         optional[map[string]string] `json:"displayName"`
		Remarks             optional[string]            `json:"remarks"`
		ModificationComment string                      `json:"modificationComment"`
		Version             version                     `json:"version"`
	}
	if err := decodeBody(c, &body); err != nil {
		s.writeError(c, err)
		return
	}
	client, err := s.Clients.ChangeClient(c.Request.Context(), callerOf(c), id, body.Version.value, directory.ClientChange{
		Name: patched(body.Name, same), DisplayName: patched(body.DisplayName, same),
		Remarks: patched(body.Remarks, same), Comment: body.ModificationComment})
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, clientWire(client))
}

// deleteClient is DELETE /clients/{clientExtId}.
func (s *server) deleteClient(c *gin.Context) {
	id, err := pathID(c, "clientExtId")
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.Clients.DeleteClient(c.Request.Context(), callerOf(c), id); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
