package credential_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
)

// drawSeq draws the given indexes in turn (each taken modulo n), then the first candidate.
func drawSeq(picks ...int) func(int) (int, error) {
	return func(n int) (int, error) {
		if len(picks) == 0 {
			return 0, nil
		}
		p := picks[0] % n
		picks = picks[1:]
		return p, nil
	}
}

// cellsOf returns the cells in clear a label of lockoutLayout names, concatenated.
func answerOf(t *testing.T, label string) string {
	t.Helper()
	var b strings.Builder
	for _, l := range strings.Fields(label) {
		i, err := lockoutLayout.ParseLabel(l)
		if err != nil {
			t.Fatalf("label %q: %v", l, err)
		}
		b.WriteString(lockoutCells[i])
	}
	return b.String()
}

// TestMultiCellChallenges: a policy with challengeSize > 1 asks that many distinct cells, labelled
// with one space between them, in card order when sorted; the same challenge is returned while it
// is outstanding; all cells must match, and a success marks every one used (API.md section 6).
func TestMultiCellChallenges(t *testing.T) {
	sorted := credential.ChallengeRules{Size: 3, Sorted: true}
	card := lockoutCard(credential.StateActive, nil)
	ch, err := card.IssueChallenge(t0, sorted, drawSeq(4, 0, 3))
	if err != nil || !ch.New || ch.Label != "A1 B2 C2" {
		t.Fatalf("sorted challenge: got %+v, %v; want A1 B2 C2 (card order), new", ch, err)
	}
	version := card.Version()
	if again, _ := card.IssueChallenge(t0, sorted, drawSeq(1, 1, 1)); again.Label != ch.Label || again.New || card.Version() != version {
		t.Fatalf("asked again: got %+v at version %d, want the same %q at %d", again, card.Version(), ch.Label, version)
	}
	if got := card.OTP(nil); !strings.HasSuffix(got, "|A1 B2 C2") {
		t.Errorf("otp: got %q, want latestChallenge A1 B2 C2", got)
	}
	// The cells typed one after the other; spaces between them do not matter, case neither.
	v := newVerify()
	res, err := card.Login("A1 B2 C2", strings.ToLower("01AB RSTV")+" WXYZ", v.verify, lockoutDefaults, true, t0)
	if err != nil || !res.Succeeded() {
		t.Fatalf("right answer: got %+v, %v; want success", res, err)
	}
	if uses := card.Snapshot().Grid.Uses(); !slices.Equal(uses, []int{1, 0, 0, 0, 1, 1}) || card.RemainingChallenges() != 3 {
		t.Errorf("after the success: uses %v, remaining %d; want A1, B2, C2 used once, 3 left", uses, card.RemainingChallenges())
	}
	if v.calls != 3 {
		t.Errorf("verifications: got %d, want one per asked cell", v.calls)
	}

	// Unsorted: the cells come in a random order, and the answer follows it.
	card = lockoutCard(credential.StateActive, nil)
	ch, err = card.IssueChallenge(t0, credential.ChallengeRules{Size: 2}, drawSeq(5, 0, 0))
	if err != nil || ch.Label != "A1 C2" {
		t.Fatalf("unsorted challenge: got %+v, %v; want A1 C2 (drawn C2 then A1, then shuffled)", ch, err)
	}
	if res, _ := card.Login(ch.Label, answerOf(t, ch.Label), newVerify().verify, lockoutDefaults, true, t0); !res.Succeeded() {
		t.Errorf("answer in the order asked: got %+v, want success", res)
	}
}

// TestMultiCellChallengeFailures: one wrong cell, the cells in another order, a short answer or a
// wrong label fail as one failure; the challenge is consumed and no cell is marked used; every
// asked cell is verified whatever the answer.
func TestMultiCellChallengeFailures(t *testing.T) {
	rules := credential.ChallengeRules{Size: 3, Sorted: true}
	for name, tt := range map[string]struct{ label, answer string }{
		"one cell wrong":          {"A1 B2 C2", "01AB" + "RSTV" + "WXYA"},
		"cells in another order":  {"A1 B2 C2", "RSTV" + "01AB" + "WXYZ"},
		"one cell short":          {"A1 B2 C2", "01AB" + "RSTV"},
		"one character too many":  {"A1 B2 C2", "01AB" + "RSTV" + "WXYZ" + "0"},
		"labels in another order": {"B2 A1 C2", "01AB" + "RSTV" + "WXYZ"},
		"one label only":          {"A1", "01AB" + "RSTV" + "WXYZ"},
	} {
		t.Run(name, func(t *testing.T) {
			card := lockoutCard(credential.StateActive, nil)
			if _, err := card.IssueChallenge(t0, rules, drawSeq(4, 0, 3)); err != nil {
				t.Fatal(err)
			}
			v := newVerify()
			res, err := card.Login(tt.label, tt.answer, v.verify, lockoutDefaults, true, t0)
			if err != nil || res.Succeeded() {
				t.Fatalf("got %+v, %v; want a failure", res, err)
			}
			s := card.Snapshot()
			if s.FailedLoginCount != 1 || s.Challenge != nil || card.RemainingChallenges() != 6 {
				t.Errorf("after the failure: failures %d, challenge %v, remaining %d; want 1, consumed, 6",
					s.FailedLoginCount, s.Challenge, card.RemainingChallenges())
			}
			if v.calls != 3 {
				t.Errorf("verifications: got %d, want all 3 asked cells verified", v.calls)
			}
			if _, err := card.Login(tt.label, tt.answer, v.verify, lockoutDefaults, true, t0); !errors.Is(err, credential.ErrNoChallenge) {
				t.Errorf("second answer: got %v, want ErrNoChallenge", err)
			}
		})
	}
}

// TestMultiCellChallengeNeedsEnoughCells: with fewer unused cells than challengeSize, no challenge
// is asked (challenge null); with cellReuse the least used cells are asked first, then a random
// few of those used next least.
func TestMultiCellChallengeNeedsEnoughCells(t *testing.T) {
	card := lockoutCard(credential.StateActive, []int{1, 1, 1, 1, 0, 0})
	version := card.Version()
	ch, err := card.IssueChallenge(t0, credential.ChallengeRules{Size: 3}, drawFirst)
	if err != nil || ch.Label != "" || card.Version() != version || card.HasChallenge() {
		t.Fatalf("two cells left for three: got %+v, %v at version %d; want no challenge, no change", ch, err, card.Version())
	}
	if ch, err := card.IssueChallenge(t0, credential.ChallengeRules{Size: 2, Sorted: true}, drawFirst); err != nil || ch.Label != "B2 C2" {
		t.Fatalf("two cells left for two: got %+v, %v; want B2 C2", ch, err)
	}

	reuse := credential.ChallengeRules{Size: 3, Sorted: true, Reuse: true}
	for range 20 {
		card := lockoutCard(credential.StateActive, []int{2, 1, 3, 0, 1, 1})
		ch, err := card.IssueChallenge(t0, reuse, func(n int) (int, error) { return n - 1, nil })
		if err != nil {
			t.Fatal(err)
		}
		labels := strings.Fields(ch.Label)
		if len(labels) != 3 || !slices.Contains(labels, "A2") || slices.Contains(labels, "A1") || slices.Contains(labels, "C1") {
			t.Fatalf("reuse: got %q, want A2 (never used) and two of B1, B2, C2 (used once)", ch.Label)
		}
	}
}
