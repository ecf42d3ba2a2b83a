package directory_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/directory"
)

// ageLike accepts what starts with age1, as the tests' stand-in for the age adapter's check.
func ageLike(r string) error {
	if !strings.HasPrefix(r, "age1") {
		return errors.New("not age1...")
	}
	return nil
}

func TestSetPrintSettings(t *testing.T) {
	base := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	c, err := directory.NewClient(directory.Client{ExtID: "bank", Name: "Bank"}, base)
	if err != nil {
		t.Fatal(err)
	}
	p := directory.PrintSettings{Recipients: []string{"age1a", "age1b", "age1a"}, HelpdeskContact: map[string]string{"en": "+41 44 000 00 00", "De": "Hilfe"}}
	changed, err := c.SetPrintSettings(p, ageLike, base.Add(time.Minute))
	if err != nil || !changed || c.Version != 2 {
		t.Fatalf("set: changed %v, version %d, %v; want true, 2", changed, c.Version, err)
	}
	if got := c.Print; len(got.Recipients) != 2 || got.HelpdeskContact["EN"] == "" || got.HelpdeskContact["DE"] != "Hilfe" || got.InPersonHandover {
		t.Errorf("settings %+v, want two recipients and EN and DE contacts", got)
	}
	if changed, err := c.SetPrintSettings(p, ageLike, base.Add(2*time.Minute)); err != nil || changed || c.Version != 2 {
		t.Errorf("the same again: changed %v, version %d, %v; want no change", changed, c.Version, err)
	}
	before := c
	for name, bad := range map[string]directory.PrintSettings{
		"not a recipient":  {Recipients: []string{"age1a", "ssh-ed25519 AAAA"}},
		"unknown language": {HelpdeskContact: map[string]string{"ES": "ayuda"}},
		"long contact":     {HelpdeskContact: map[string]string{"EN": strings.Repeat("x", 501)}},
		"many recipients":  {Recipients: strings.Fields(manyRecipients(21))},
	} {
		var invalid *directory.InvalidFieldError
		if _, err := c.SetPrintSettings(bad, ageLike, base.Add(3*time.Minute)); !errors.As(err, &invalid) {
			t.Errorf("%s: got %v, want an InvalidFieldError", name, err)
		}
		if c.Version != before.Version || len(c.Print.Recipients) != 2 {
			t.Errorf("%s: the client changed: %+v", name, c)
		}
	}
	if changed, err := c.SetPrintSettings(directory.PrintSettings{}, ageLike, base.Add(4*time.Minute)); err != nil || !changed || c.Print.Recipients != nil || c.Print.HelpdeskContact != nil {
		t.Errorf("cleared: changed %v, %+v, %v; want no recipients and no contacts", changed, c.Print, err)
	}
}

func manyRecipients(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("age1r")
		b.WriteByte(byte('a' + i%26))
		b.WriteString(strings.Repeat("z", i))
		b.WriteByte(' ')
	}
	return b.String()
}
