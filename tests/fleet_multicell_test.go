package tests

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/tests/client"
)

// multiCellCard gives f's user a card under a new policy of f's client with these parameters and
// returns its key and cells.
func multiCellCard(t *testing.T, api *client.API, f fixture, params map[string]string) (client.CardKey, []string) {
	t.Helper()
	p := api.CreatePolicy(t, f.Client, client.PolicyCreate{Name: uid("multi"), PolicyType: "OTPCardPolicy", Parameters: params}).
		Want(t, http.StatusCreated)
	api.DeleteCard(t, f.CardKey).Want(t, http.StatusNoContent)
	card := api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: f.User + "-multi", PolicyExtID: p.ExtID}).Want(t, http.StatusCreated)
	return f.UserKey().Card(card.ExtID), cellsOf(t, card.OTP)
}

// answers returns the values of the cells a multi-cell challenge names, in its order, on a card of
// layout.
func answers(t *testing.T, layout credential.Layout, cells []string, challenge string) []string {
	t.Helper()
	var out []string
	for _, label := range strings.Fields(challenge) {
		i, err := layout.ParseLabel(label)
		if err != nil {
			t.Fatalf("label %q of %q: %v", label, challenge, err)
		}
		out = append(out, cells[i])
	}
	return out
}

// TestMultiCellChallenge: under challengeSize 3 a challenge names three distinct cells, separated
// by one space and in card order with sortChallenge; asking again returns it; the password is the
// three values in that order (spaces between them ignored), and a success marks all three used
// (API.md sections 5.2 and 6).
func TestMultiCellChallenge(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "multi")
	card, cells := multiCellCard(t, api, f, map[string]string{"challengeSize": "3", "sortChallenge": "true", "coordinateCardFormat": "true"})
	layout := defaultLayout
	layout.Coordinate = true

	ch := api.Challenge(t, f.UserKey()).Want(t, http.StatusOK)
	if ch.Challenge == nil {
		t.Fatal("no challenge asked of a new card")
	}
	labels := strings.Fields(*ch.Challenge)
	indexes := make([]int, len(labels))
	for k, l := range labels {
		indexes[k], _ = layout.ParseLabel(l)
	}
	if len(labels) != 3 || strings.Join(labels, " ") != *ch.Challenge || !slices.IsSorted(indexes) ||
		len(slices.Compact(slices.Clone(indexes))) != 3 {
		t.Fatalf("challenge: got %q, want three distinct labels in card order, one space apart", *ch.Challenge)
	}
	if again := api.Challenge(t, f.UserKey()).Want(t, http.StatusOK); *again.Challenge != *ch.Challenge {
		t.Fatalf("asked again: got %q, want the same %q", *again.Challenge, *ch.Challenge)
	}
	if got := api.GetCard(t, card).Want(t, http.StatusOK); !strings.HasSuffix(got.OTP, "|"+*ch.Challenge) {
		t.Errorf("otp: got %q, want latestChallenge %q", got.OTP, *ch.Challenge)
	}
	values := answers(t, layout, cells, *ch.Challenge)
	res := api.Login(t, f.UserKey(), client.LoginRequest{Challenge: *ch.Challenge, Password: strings.ToLower(strings.Join(values, " "))}).
		Want(t, http.StatusOK)
	if res.StatusCode != credential.StatusLoginOK || res.RemainingChallenges != 168-3 {
		t.Fatalf("login: got statusCode %d with %d cells left, want 5 and 165", res.StatusCode, res.RemainingChallenges)
	}
	otp, err := credential.ParseOTPString(api.GetCard(t, card).Want(t, http.StatusOK).OTP)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range indexes {
		if otp.Uses[i] != 1 {
			t.Errorf("cell %s: used %d times, want 1", layout.Label(i), otp.Uses[i])
		}
	}

	// Two cells right and one wrong, or the cells in another order: one failure, nothing used.
	for _, wrong := range []func(v []string) string{
		func(v []string) string { return v[0] + v[1] + strings.Repeat("0", 4) },
		func(v []string) string { return v[1] + v[0] + v[2] },
		func(v []string) string { return v[0] + v[1] },
	} {
		ch := api.Challenge(t, f.UserKey()).Want(t, http.StatusOK)
		v := answers(t, layout, cells, *ch.Challenge)
		res := api.Login(t, f.UserKey(), client.LoginRequest{Challenge: *ch.Challenge, Password: wrong(v)}).Want(t, http.StatusOK)
		if res.StatusCode == credential.StatusLoginOK || res.RemainingChallenges != 165 {
			t.Errorf("wrong answer to %q: got statusCode %d with %d left, want a failure and 165", *ch.Challenge, res.StatusCode, res.RemainingChallenges)
		}
		api.PatchCard(t, card, client.CredentialPatch{StateName: client.Ptr("active")}).Want(t, http.StatusOK) // unlocks the card a failure locked
	}
}

// TestMultiCellChallengeRunsOut: a challenge needs challengeSize cells never used; with fewer left
// the challenge is null (API.md section 6).
func TestMultiCellChallengeRunsOut(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "multi-out")
	layout := credential.Layout{Rows: 1, Cols: 3, CellLength: 6, Charset: credential.CharsetDigits}
	_, cells := multiCellCard(t, api, f, map[string]string{"rows": "1", "cols": "3", "cellLength": "6",
		"cellCharset": "digits", "challengeSize": "2"})
	ch := api.Challenge(t, f.UserKey()).Want(t, http.StatusOK)
	if ch.Challenge == nil || len(strings.Fields(*ch.Challenge)) != 2 {
		t.Fatalf("challenge: got %+v, want two labels", ch)
	}
	res := api.Login(t, f.UserKey(), client.LoginRequest{Challenge: *ch.Challenge,
		Password: strings.Join(answers(t, layout, cells, *ch.Challenge), "")}).Want(t, http.StatusOK)
	if res.StatusCode != credential.StatusLoginOK || res.RemainingChallenges != 1 {
		t.Fatalf("login: got statusCode %d with %d left, want 5 and 1", res.StatusCode, res.RemainingChallenges)
	}
	if ch := api.Challenge(t, f.UserKey()).Want(t, http.StatusOK); ch.Challenge != nil || ch.RemainingChallenges != 1 {
		t.Errorf("one cell left for a challenge of two: got %+v, want challenge null and 1 remaining", ch)
	}
}

// TestPrintedMultiCellCard: the PDF of a card that asks several cells at once explains how to
// answer.
func TestPrintedMultiCellCard(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "multi-pdf")
	card, _ := multiCellCard(t, api, f, map[string]string{"challengeSize": "2"})
	pdf := api.ReplaceCardPDF(t, card, client.CredentialReplace{}).Want(t, http.StatusOK)
	if !strings.Contains(strings.Join(pdfTexts(pdf), " "), "2 cells at once") {
		t.Error("the printed card of a two-cell policy does not explain two-cell challenges")
	}
}
