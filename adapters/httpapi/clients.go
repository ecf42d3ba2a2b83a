package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/otpcard/otpcard/domain/directory"
)

type clientJSON struct {
	ExtID        string            `json:"extId"`
	Name         string            `json:"name"`
	DisplayName  map[string]string `json:"displayName,omitempty"`
	Remarks      string            `json:"remarks,omitempty"`
	Created      string            `json:"created"`
	LastModified string            `json:"lastModified"`
	Version      int32             `json:"version"`
}

func clientWire(c directory.Client) clientJSON {
	return clientJSON{ExtID: c.ExtID, Name: c.Name, DisplayName: c.DisplayName, Remarks: c.Remarks,
		Created: timeJSON(c.Created), LastModified: timeJSON(c.LastModified), Version: c.Version}
}

func (s *server) createClient(c *gin.Context) {
	var body struct {
		ExtID               *string           `json:"extId"`
		Name                string            `json:"name"`
		DisplayName         map[string]string `json:"displayName"`
		Remarks             string            `json:"remarks"`
		ModificationComment string            `json:"modificationComment"`
		Version             version           `json:"version"`
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
	client, err := s.Clients.CreateClient(c.Request.Context(), callerOf(c), directory.Client{
		ExtID: extID, Name: body.Name, DisplayName: body.DisplayName, Remarks: body.Remarks})
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Location", corePath+"/clients/"+client.ExtID)
	c.JSON(http.StatusCreated, clientWire(client))
}

func (s *server) getClient(c *gin.Context) {
	id, err := pathID(c, "clientExtId")
	if err != nil {
		s.writeError(c, err)
		return
	}
	client, err := s.Clients.GetClient(c.Request.Context(), callerOf(c), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, clientWire(client))
}

func (s *server) listClients(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.Clients.ListClients(c.Request.Context(), callerOf(c), page)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(res, page, clientWire))
}
