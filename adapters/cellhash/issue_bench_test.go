package cellhash_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/otpcard/otpcard/adapters/cellhash"
	"github.com/otpcard/otpcard/domain/credential"
)

// BenchmarkIssueCard issues a card at default settings as create and replace do before their
// transaction: 168 cells from crypto/rand, a fresh salt and 168 Argon2id verifiers, into a grid.
// workers=1 is the CPU cost of a card; workers=GOMAXPROCS is the latency the service can reach
// on an idle machine (Hash spreads the cells over the cores).
func BenchmarkIssueCard(b *testing.B) {
	l := credential.DefaultParameters().Layout
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			h := newHasher(b, pepper, workers)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				cells, err := credential.GenerateCells(l, nil)
				if err != nil {
					b.Fatal(err)
				}
				secret, err := h.Hash(ctx, cells)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := credential.NewGrid(l, secret); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/card")
		})
	}
}

// BenchmarkVerifyCellDefaultScheme verifies the answer to a challenge through a stored scheme
// string, as a login does with a card read from the database.
func BenchmarkVerifyCellDefaultScheme(b *testing.B) {
	h := newHasher(b, pepper, 0)
	secret, err := h.Hash(context.Background(), cells(168))
	if err != nil {
		b.Fatal(err)
	}
	if secret.Scheme != cellhash.DefaultParams().Scheme() {
		b.Fatalf("scheme %q, want the default", secret.Scheme)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := h.Verify(secret, 167, "C167"); !ok || err != nil {
			b.Fatalf("got %v, %v; want true, nil", ok, err)
		}
	}
}
