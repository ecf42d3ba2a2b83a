package outbox_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/outbox"
	"github.com/otpcard/otpcard/domain/event"
)

// batcher takes whole batches; its first batch fails.
type batcher struct {
	mu      sync.Mutex
	batches [][]int64
	failed  bool
}

func (b *batcher) Name() string { return "batcher" }

func (b *batcher) Handle(context.Context, event.Stored) error {
	return errors.New("Handle must not be called for a batch subscriber")
}

func (b *batcher) HandleBatch(_ context.Context, events []event.Stored) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.failed {
		b.failed = true
		return errors.New("first batch refused")
	}
	ids := make([]int64, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	b.batches = append(b.batches, ids)
	return nil
}

func (b *batcher) all() []int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Concat(b.batches...)
}

// TestDispatcherHandsBatchesWhole: a BatchSubscriber gets each claim as one batch, a refused
// batch comes again whole, and every event arrives once, in order.
func TestDispatcherHandsBatchesWhole(t *testing.T) {
	feed := newFakeFeed()
	feed.publish(95)
	b := &batcher{}
	start(t, feed, outbox.Options{Poll: 5 * time.Millisecond, Batch: 40}, b)
	eventually(t, "the batcher gets 95 events", func() bool { return len(b.all()) >= 95 })
	if got := b.all(); !slices.Equal(got, upTo(95)) {
		t.Fatalf("got ids %v, want 1..95 in order, each once", got)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.batches) != 3 || len(b.batches[0]) != 40 {
		t.Errorf("got batches of %v, want 40, 40, 15", func() []int {
			var n []int
			for _, x := range b.batches {
				n = append(n, len(x))
			}
			return n
		}())
	}
}
