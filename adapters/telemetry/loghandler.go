package telemetry

import (
	"context"
	"log/slog"
	"slices"

	"go.opentelemetry.io/otel/trace"
)

// NewLogHandler wraps next so that every record logged with a context carrying a valid span gets
// top-level trace_id and span_id attributes, even under a group opened with WithGroup.
func NewLogHandler(next slog.Handler) slog.Handler {
	return &logHandler{next: next}
}

// logHandler keeps, besides the handler it forwards to, the handler as it was before the first
// WithGroup and the calls made since. Adding trace ids to a record under a group would nest them
// inside the group, so in that case Handle replays the calls on top of the ids instead.
type logHandler struct {
	next    slog.Handler
	root    slog.Handler                      // next before the first WithGroup; nil while no group is open
	derived []func(slog.Handler) slog.Handler // WithAttrs/WithGroup calls since root
}

// Enabled defers to the wrapped handler.
func (h *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds the span's ids, if any, and forwards the record.
func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return h.next.Handle(ctx, r)
	}
	ids := []slog.Attr{
		slog.String("trace_id", sc.TraceID().String()),
		slog.String("span_id", sc.SpanID().String()),
	}
	if h.root == nil {
		r = r.Clone()
		r.AddAttrs(ids...)
		return h.next.Handle(ctx, r)
	}
	next := h.root.WithAttrs(ids)
	for _, derive := range h.derived {
		next = derive(next)
	}
	return next.Handle(ctx, r)
}

// WithAttrs returns a handler whose records carry attrs, still adding trace ids.
func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(func(next slog.Handler) slog.Handler { return next.WithAttrs(attrs) }, false)
}

// WithGroup returns a handler that nests later attributes under name, still adding trace ids at
// the top level.
func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(func(next slog.Handler) slog.Handler { return next.WithGroup(name) }, true)
}

// with applies fn to the wrapped handler. From the first group on, it also remembers fn so that
// Handle can replay it.
func (h *logHandler) with(fn func(slog.Handler) slog.Handler, opensGroup bool) *logHandler {
	h2 := &logHandler{next: fn(h.next), root: h.root}
	switch {
	case h.root != nil:
		// Clip: siblings derived from h must not append into one shared array.
		h2.derived = append(slices.Clip(h.derived), fn)
	case opensGroup:
		h2.root = h.next
		h2.derived = []func(slog.Handler) slog.Handler{fn}
	}
	return h2
}
