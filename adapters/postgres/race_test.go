package postgres_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/otpcard/otpcard/domain/fault"
)

// race runs n calls at once and returns their errors.
func race(n int, call func(i int) error) []error {
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = call(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// assertOutcomes fails unless exactly wantOK of the racers' errs are nil and every other one is
// an error that lost accepts; what names those errors in the messages.
func assertOutcomes(t *testing.T, errs []error, wantOK int, what string, lost func(error) bool) {
	t.Helper()
	ok, lose := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case lost(err):
			lose++
		default:
			t.Errorf("racer %d: got %v, want nil or %s", i, err, what)
		}
	}
	if ok != wantOK || lose != len(errs)-wantOK {
		t.Errorf("outcomes: got %d succeeded and %d %s, want %d and %d", ok, lose, what, wantOK, len(errs)-wantOK)
	}
}

// wrapping is an error test of assertOutcomes: errors that wrap target.
func wrapping(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// assertOneWins fails unless exactly one call succeeded and every other one saw a
// *fault.VersionConflictError.
func assertOneWins(t *testing.T, errs []error) {
	t.Helper()
	assertOutcomes(t, errs, 1, "a version conflict at version 2", func(err error) bool {
		var vc *fault.VersionConflictError
		return errors.As(err, &vc) && vc.Given == 1 && vc.Current == 2
	})
}
