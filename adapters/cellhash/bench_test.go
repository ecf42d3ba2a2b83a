package cellhash_test

import (
	"context"
	"testing"
)

// BenchmarkHashCard hashes a default card of 168 cells across the usable cores.
func BenchmarkHashCard(b *testing.B) {
	const n = 168
	h := newHasher(b, pepper, 0)
	in := cells(n)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/cell")
}

// BenchmarkVerifyCell verifies one cell, as a login does.
func BenchmarkVerifyCell(b *testing.B) {
	h := newHasher(b, pepper, 0)
	secret, err := h.Hash(context.Background(), cells(168))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := h.Verify(secret, 31, "C031"); !ok || err != nil {
			b.Fatalf("got %v, %v; want true, nil", ok, err)
		}
	}
}
