package listing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/listing"
)

func TestLimits(t *testing.T) {
	if listing.DefaultLimit != 100 || listing.MaxLimit != 1000 {
		t.Errorf("got DefaultLimit %d, MaxLimit %d; want 100, 1000", listing.DefaultLimit, listing.MaxLimit)
	}
}

func TestTrim(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 21, 30, 0, 0, time.UTC)
	cursorOf := func(n int) listing.Cursor {
		return listing.Cursor{Created: t0.Add(time.Duration(n) * time.Second), ExtID: string(rune('a' + n))}
	}
	upTo := func(n int) []int {
		out := []int{}
		for i := range n {
			out = append(out, i)
		}
		return out
	}
	tests := []struct {
		name      string
		items     []int
		limit     int
		wantItems []int
		wantNext  *listing.Cursor
	}{
		{"nil", nil, 3, nil, nil},
		{"empty", []int{}, 3, []int{}, nil},
		{"fewer than the limit", upTo(2), 3, upTo(2), nil},
		{"exactly the limit", upTo(3), 3, upTo(3), nil},
		{"one more than the limit", upTo(4), 3, upTo(3), &listing.Cursor{Created: t0.Add(2 * time.Second), ExtID: "c"}},
		{"limit 1 with a second item", upTo(2), 1, upTo(1), &listing.Cursor{Created: t0, ExtID: "a"}},
		{"limit 1 alone", upTo(1), 1, upTo(1), nil},
		{"many more than the limit", upTo(10), 2, upTo(2), &listing.Cursor{Created: t0.Add(time.Second), ExtID: "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []int
			got := listing.Trim(tt.items, tt.limit, func(n int) listing.Cursor {
				calls = append(calls, n)
				return cursorOf(n)
			})
			if !slices.Equal(got.Items, tt.wantItems) || (got.Items == nil) != (tt.wantItems == nil) {
				t.Errorf("Items: got %#v, want %#v", got.Items, tt.wantItems)
			}
			switch {
			case tt.wantNext == nil && got.Next != nil:
				t.Errorf("Next: got %+v, want nil", *got.Next)
			case tt.wantNext != nil && (got.Next == nil || *got.Next != *tt.wantNext):
				t.Errorf("Next: got %v, want %+v", got.Next, *tt.wantNext)
			}
			if tt.wantNext == nil && len(calls) != 0 {
				t.Errorf("cursorOf: got %d calls, want none on the last page", len(calls))
			}
			if tt.wantNext != nil && !slices.Equal(calls, []int{tt.wantItems[len(tt.wantItems)-1]}) {
				t.Errorf("cursorOf: got calls with %v, want one with the last item kept", calls)
			}
		})
	}
}
