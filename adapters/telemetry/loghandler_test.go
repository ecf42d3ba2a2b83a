package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/adapters/telemetry"
)

const (
	testTraceID = "0af7651916cd43dd8448eb211c80319c"
	testSpanID  = "b7ad6b7169203331"
)

func spanContext(t *testing.T) context.Context {
	t.Helper()
	tid, err := trace.TraceIDFromHex(testTraceID)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := trace.SpanIDFromHex(testSpanID)
	if err != nil {
		t.Fatal(err)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
	return trace.ContextWithSpanContext(t.Context(), sc)
}

// logOnce logs one record through NewLogHandler over a JSON handler and returns it decoded.
func logOnce(t *testing.T, ctx context.Context, derive func(*slog.Logger) *slog.Logger) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	logger := derive(slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil))))
	logger.InfoContext(ctx, "hello", "k", "v")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("decode %q: %v", buf.String(), err)
	}
	return rec
}

func same(l *slog.Logger) *slog.Logger { return l }

func TestLogHandlerAddsTraceIDs(t *testing.T) {
	rec := logOnce(t, spanContext(t), same)
	if rec["trace_id"] != testTraceID || rec["span_id"] != testSpanID {
		t.Errorf("got trace_id %v span_id %v, want %s %s", rec["trace_id"], rec["span_id"], testTraceID, testSpanID)
	}
	if rec["k"] != "v" {
		t.Errorf("got k %v, want v", rec["k"])
	}
}

func TestLogHandlerWithoutSpan(t *testing.T) {
	rec := logOnce(t, t.Context(), same)
	if _, ok := rec["trace_id"]; ok {
		t.Errorf("got trace_id %v without a span, want none", rec["trace_id"])
	}
}

func TestLogHandlerKeepsTraceIDsAtTopLevel(t *testing.T) {
	rec := logOnce(t, spanContext(t), func(l *slog.Logger) *slog.Logger {
		return l.With("a", 1).WithGroup("req").With("b", 2).WithGroup("inner")
	})
	if rec["trace_id"] != testTraceID || rec["span_id"] != testSpanID {
		t.Errorf("got record %v, want trace_id and span_id at the top level", rec)
	}
	if rec["a"] != float64(1) {
		t.Errorf("got a %v, want 1", rec["a"])
	}
	req, _ := rec["req"].(map[string]any)
	inner, _ := req["inner"].(map[string]any)
	if req["b"] != float64(2) || inner["k"] != "v" {
		t.Errorf("got record %v, want req.b=2 and req.inner.k=v", rec)
	}
}

func TestLogHandlerSiblingsDoNotShareAttrs(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil))).WithGroup("g").With("x", 0)
	_ = base.With("only", "first")
	base.With("only", "second").InfoContext(spanContext(t), "hello")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	g, _ := rec["g"].(map[string]any)
	if g["only"] != "second" {
		t.Errorf("got g.only %v, want second", g["only"])
	}
}

func TestLogHandlerEnabledDefers(t *testing.T) {
	h := telemetry.NewLogHandler(slog.NewJSONHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.Enabled(t.Context(), slog.LevelInfo) {
		t.Errorf("got Info enabled, want disabled under a Warn handler")
	}
	if !h.Enabled(t.Context(), slog.LevelError) {
		t.Errorf("got Error disabled, want enabled")
	}
}

func TestLogHandlerWithRealSpan(t *testing.T) {
	clearEnv(t)
	tel := newTelemetry(t)
	ctx, span := tel.TracerProvider().Tracer("test").Start(t.Context(), "op")
	defer span.End()
	rec := logOnce(t, ctx, same)
	if want := span.SpanContext().TraceID().String(); rec["trace_id"] != want {
		t.Errorf("got trace_id %v, want %s", rec["trace_id"], want)
	}
}
