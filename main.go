// Command otpcard is an open, nevisIDM-compatible identity service for OTP cards.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/otpcard/otpcard/bootstrap"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := bootstrap.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
