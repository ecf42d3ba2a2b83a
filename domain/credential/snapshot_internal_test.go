package credential

import (
	"slices"
	"testing"
)

// TestSnapshotCopiesUses mutates the use counters inside a returned snapshot, which only this
// package can reach, and checks the card keeps its own.
func TestSnapshotCopiesUses(t *testing.T) {
	l := Layout{Rows: 1, Cols: 3, CellLength: 4, Charset: CharsetCrockford32}
	secret := Secret{Scheme: "test", Salt: make([]byte, SaltLength), Verifiers: make([][]byte, 3)}
	card := RestoreOTPCard(Snapshot{ExtID: "card-1", Version: 1, Grid: RestoreGrid(l, secret, []int{0, 1, 0}),
		Challenge: nil})

	s := card.Snapshot()
	s.Grid.uses[0] = 9
	s.Version = 7
	if got := card.Snapshot().Grid.Uses(); !slices.Equal(got, []int{0, 1, 0}) {
		t.Errorf("card uses after mutating a snapshot: got %v, want [0 1 0]", got)
	}
	if got := card.Version(); got != 1 {
		t.Errorf("card version after mutating a snapshot: got %d, want 1", got)
	}
	if got := card.RemainingChallenges(); got != 2 {
		t.Errorf("RemainingChallenges: got %d, want 2", got)
	}
}
