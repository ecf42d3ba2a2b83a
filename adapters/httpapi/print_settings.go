package httpapi

import (
	"fmt"

	"github.com/gin-gonic/gin"

	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/directory"
)

// printSettingsJSON is a client's print settings on the wire (API.md section 11.2): recipients
// always (an empty list: no batches), the help-desk contact when there is one.
type printSettingsJSON struct {
	Recipients       []string          `json:"recipients"`
	HelpdeskContact  map[string]string `json:"helpdeskContact,omitempty"`
	InPersonHandover bool              `json:"inPersonHandover"`
}

func printSettingsWire(p directory.PrintSettings) printSettingsJSON {
	r := p.Recipients
	if r == nil {
		r = []string{}
	}
	return printSettingsJSON{Recipients: r, HelpdeskContact: p.HelpdeskContact, InPersonHandover: p.InPersonHandover}
}

// printSettingsBody is the body of PUT .../print-settings: the settings whole.
type printSettingsBody struct {
	Recipients       *[]string         `json:"recipients"`
	HelpdeskContact  map[string]string `json:"helpdeskContact"`
	InPersonHandover *bool             `json:"inPersonHandover"`
	// Version, when given, must be the client's (section 1): the settings are part of it.
	Version version `json:"version"`
}

func getPrintSettingsQuery(c *gin.Context) (appdirectory.GetPrintSettingsQuery, error) {
	id, err := clientPath(c)
	return appdirectory.GetPrintSettingsQuery{Caller: callerOf(c), ClientExtID: id}, err
}

func setPrintSettingsCommand(c *gin.Context) (appdirectory.SetPrintSettingsCommand, error) {
	id, body, err := withBody[printSettingsBody](c, clientPath)
	if err != nil {
		return appdirectory.SetPrintSettingsCommand{}, err
	}
	if body.Recipients == nil {
		return appdirectory.SetPrintSettingsCommand{}, fmt.Errorf("%w: recipients is required: the age recipients of the client's print batches (an empty list issues none)", errInvalidData)
	}
	p := directory.PrintSettings{Recipients: *body.Recipients, HelpdeskContact: body.HelpdeskContact}
	if body.InPersonHandover != nil {
		p.InPersonHandover = *body.InPersonHandover
	}
	return appdirectory.SetPrintSettingsCommand{Caller: callerOf(c), ClientExtID: id, Settings: p, Version: body.Version.value}, nil
}
