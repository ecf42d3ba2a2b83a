package caller

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/domain/access"
)

// Frame is what every use case holds besides its ports: the clock it reads (a use case never
// reads the system clock itself) and the tracer that gives each run of it a span.
type Frame struct {
	Now    func() time.Time
	Tracer trace.Tracer
}

// Run is the first step every use case takes: inside a span named after the use case, it
// authorizes c for req at the clock's time and, only when c may, calls do with the span's
// context. It returns the access error as it is, or do's result; with an error, the zero T.
func Run[T any](ctx context.Context, f Frame, name string, c Caller, req access.Request,
	do func(ctx context.Context) (T, error)) (T, error) {
	ctx, span := f.Tracer.Start(ctx, name)
	defer span.End()
	var zero T
	if err := c.Principal.Authorize(req, f.Now()); err != nil {
		return zero, err
	}
	v, err := do(ctx)
	if err != nil {
		return zero, err
	}
	return v, nil
}
