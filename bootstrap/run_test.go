package bootstrap

import (
	"errors"
	"strings"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
)

// TestStartErrorFindsTheCauseInFxsChain: however deep in the graph a constructor fails, the
// operator is told its error, not the chain of functions fx could not build on its account.
func TestStartErrorFindsTheCauseInFxsChain(t *testing.T) {
	type key struct{}
	type handler struct{}
	type server struct{}
	graph := func(keyErr error) error {
		app := fx.New(
			fx.Provide(
				func() (*key, error) { return nil, keyErr },
				func(*key) *handler { return &handler{} },
				func(*handler) *server { return &server{} },
			),
			fx.Invoke(func(*server) {}),
			fx.WithLogger(func() fxevent.Logger { return fxevent.NopLogger }),
		)
		return app.Err()
	}

	named := &VariableError{Variable: "OTPCARD_JWT_JWKS_FILE", Err: errors.New("no usable key")}
	err := startError(graph(named))
	if err.Error() != "OTPCARD_JWT_JWKS_FILE: no usable key" {
		t.Errorf("got %q, want the VariableError alone", err)
	}
	cause := errors.New("fetch jwks: connection refused")
	err = startError(graph(cause))
	if err.Error() != "start: fetch jwks: connection refused" || !errors.Is(err, cause) {
		t.Errorf("got %q, want start: and the constructor's error", err)
	}
	if !strings.Contains(graph(cause).Error(), "could not build") {
		t.Error("fx no longer wraps constructor errors in its chain; this test proves nothing")
	}
}
