package directory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/fault"
)

// ageLike is the recipient check of these tests: what starts with age1.
type ageLike struct{}

func (ageLike) CheckRecipient(r string) error {
	if !strings.HasPrefix(r, "age1") {
		return errors.New("no")
	}
	return nil
}

func printModule(s clientFixture) app.UseCases {
	return app.New(app.Deps{Clients: s, Users: s.UserStore(), Dependents: []app.Dependents{s.deps}, Recipients: ageLike{}, Now: clock, Tracer: tracer})
}

// TestSetPrintSettings: ClientModify replaces the settings and records client.changed at the
// client's new version; a stale version, a bad recipient or a caller without the right changes
// nothing; GetPrintSettings needs ClientView.
func TestSetPrintSettings(t *testing.T) {
	s := newClientStore(directory.Client{ExtID: "acme", Name: "Acme", Version: 3})
	uc := printModule(s)
	stale := int32(2)
	for name, tt := range map[string]struct {
		cmd  app.SetPrintSettingsCommand
		want error
	}{
		"no right":      {app.SetPrintSettingsCommand{Caller: admin(access.ClientView), ClientExtID: "acme"}, access.ErrPermissionDenied},
		"stale version": {app.SetPrintSettingsCommand{Caller: admin(access.ClientModify), ClientExtID: "acme", Version: &stale}, fault.ErrVersionConflict},
		"bad recipient": {app.SetPrintSettingsCommand{Caller: admin(access.ClientModify), ClientExtID: "acme",
			Settings: directory.PrintSettings{Recipients: []string{"AGE-SECRET-KEY-1XYZ"}}}, fault.ErrInvalid},
	} {
		_, err := uc.SetPrintSettings.Do(context.Background(), tt.cmd)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "XYZ") {
			t.Errorf("%s: the error repeats the value: %v", name, err)
		}
	}
	if c := s.stored("acme"); c.Version != 3 || len(s.Recorded()) != 0 {
		t.Fatalf("refused changes stored version %d and %d events", c.Version, len(s.Recorded()))
	}
	three := int32(3)
	got, err := uc.SetPrintSettings.Do(context.Background(), app.SetPrintSettingsCommand{Caller: admin(access.ClientModify), ClientExtID: "acme",
		Version: &three, Settings: directory.PrintSettings{Recipients: []string{"age1shop"}, InPersonHandover: true}})
	if err != nil || len(got.Recipients) != 1 || !got.InPersonHandover {
		t.Fatalf("set: %+v, %v", got, err)
	}
	events := s.Recorded()
	if len(events) != 1 || events[0].Type != directory.ClientChanged || events[0].Version != 4 || events[0].Data["printSettings"] != "changed" {
		t.Errorf("events %+v, want client.changed at version 4", events)
	}
	wantTold(t, s.deps, "the printing module keeps the recipients", "ClientSaved acme v4")
	if _, err := uc.GetPrintSettings.Do(context.Background(), app.GetPrintSettingsQuery{Caller: admin(access.ClientModify), ClientExtID: "acme"}); !errors.Is(err, access.ErrPermissionDenied) {
		t.Errorf("read without ClientView: got %v, want ErrPermissionDenied", err)
	}
	if read, err := uc.GetPrintSettings.Do(context.Background(), app.GetPrintSettingsQuery{Caller: admin(access.ClientView), ClientExtID: "acme"}); err != nil || read.Recipients[0] != "age1shop" {
		t.Errorf("read: %+v, %v", read, err)
	}
}
