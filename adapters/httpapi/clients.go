package httpapi

import (
	"github.com/gin-gonic/gin"

	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
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

func clientsWire(res listing.Result[directory.Client]) listJSON[clientJSON] {
	return listOf(res, clientWire)
}

func clientLocation(c directory.Client) string { return corePath + "/clients/" + c.ExtID }

// createClientBody is the body of POST /clients.
type createClientBody struct {
	ExtID               *string           `json:"extId"`
	Name                string            `json:"name"`
	DisplayName         map[string]string `json:"displayName"`
	Remarks             string            `json:"remarks"`
	ModificationComment string            `json:"modificationComment"`
	Version             version           `json:"version"`
}

func createClientCommand(c *gin.Context) (appdirectory.CreateClientCommand, error) {
	var body createClientBody
	if err := decodeBody(c, &body); err != nil {
		return appdirectory.CreateClientCommand{}, err
	}
	extID, err := requestedExtID(body.ExtID)
	return appdirectory.CreateClientCommand{Caller: callerOf(c), Client: directory.Client{
		ExtID: extID, Name: body.Name, DisplayName: body.DisplayName, Remarks: body.Remarks}}, err
}

func getClientQuery(c *gin.Context) (appdirectory.GetClientQuery, error) {
	id, err := clientPath(c)
	return appdirectory.GetClientQuery{Caller: callerOf(c), ExtID: id}, err
}

func listClientsQuery(c *gin.Context) (appdirectory.ListClientsQuery, error) {
	page, err := pageOf(c)
	return appdirectory.ListClientsQuery{Caller: callerOf(c), Page: page}, err
}

// changeClientBody is the body of PATCH /clients/{clientExtId}: members present replace the
// stored ones.
type changeClientBody struct {
	Name                optional[string]            `json:"name"`
	DisplayName         optional[map[string]string] `json:"displayName"`
	Remarks             optional[string]            `json:"remarks"`
	ModificationComment string                      `json:"modificationComment"`
	Version             version                     `json:"version"`
}

func changeClientCommand(c *gin.Context) (appdirectory.ChangeClientCommand, error) {
	id, body, err := withBody[changeClientBody](c, clientPath)
	if err != nil {
		return appdirectory.ChangeClientCommand{}, err
	}
	return appdirectory.ChangeClientCommand{Caller: callerOf(c), ExtID: id, Version: body.Version.value,
		Change: directory.ClientChange{Name: patched(body.Name, same), DisplayName: patched(body.DisplayName, same),
			Remarks: patched(body.Remarks, same), Comment: body.ModificationComment}}, nil
}

func deleteClientCommand(c *gin.Context) (appdirectory.DeleteClientCommand, error) {
	id, err := clientPath(c)
	return appdirectory.DeleteClientCommand{Caller: callerOf(c), ExtID: id}, err
}
