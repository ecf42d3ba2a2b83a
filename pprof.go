//go:build pprof

package main

// Built with `go build -tags pprof`, otpcard serves Go's profiler on OTPCARD_PPROF_ADDR
// (127.0.0.1:6060 when unset), for profiling under the load benchmark:
//
//	go build -tags pprof -o /tmp/otpcard-pprof . && go run ./tests/bench -binary /tmp/otpcard-pprof ...
//	go tool pprof -top http://127.0.0.1:6060/debug/pprof/profile?seconds=5
//
// Release builds carry no profiler.

import (
	"log/slog"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
	"time"
)

func init() {
	addr := os.Getenv("OTPCARD_PPROF_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	srv := &http.Server{Addr: addr, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil {
			slog.Error("pprof listener stopped", "addr", addr, "error", err)
		}
	}()
}
