package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/fault"
)

// Errors raised by the HTTP layer itself: of the fault kinds, and the few that only HTTP knows.
var (
	errNotAuthenticated = fault.New(fault.Unauthenticated, "errors.notAuthenticated", "authentication required")
	errInvalidToken     = fault.New(fault.Unauthenticated, "errors.notAuthenticated", "the token is not valid")
	errInvalidData      = fault.New(fault.Invalid, "errors.invalidData", "invalid data")
	errNoRoute          = fault.New(fault.NotFound, "errors.noRecord", "no such resource")
	errTooManyRequests  = fault.New(fault.Exhausted, "errors.tooManyRequests", "too many requests")
	errTooLarge         = errors.New("request body too large")
	errMediaType        = errors.New("unsupported media type")
	errMethod           = errors.New("method not allowed")
	errHeaderTooLarge   = errors.New("request header fields too large")
)

// problem is the RFC 9457 body with nevisIDM's error list.
type problem struct {
	Type   string        `json:"type"`
	Title  string        `json:"title"`
	Status int           `json:"status"`
	Detail string        `json:"detail"`
	Errors []problemItem `json:"errors"`
	// LockedUntil is when a temporary lock ends (423 only).
	LockedUntil string `json:"lockedUntil,omitempty"`
}

type problemItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// statusOf is the one map from errors to HTTP statuses: every module's errors by their fault
// kind (their nevisIDM code comes with them), and the few errors only HTTP knows. It does not
// grow with the modules.
var statusOf = map[fault.Kind]int{
	fault.Invalid:         http.StatusBadRequest,
	fault.Unauthenticated: http.StatusUnauthorized,
	fault.Forbidden:       http.StatusForbidden,
	fault.NotFound:        http.StatusNotFound,
	fault.Conflict:        http.StatusConflict,
	fault.Duplicate:       http.StatusConflict,
	fault.Refused:         http.StatusUnprocessableEntity,
	fault.Locked:          http.StatusLocked,
	fault.Exhausted:       http.StatusTooManyRequests,
	fault.Unavailable:     http.StatusServiceUnavailable,
}

// transport are the errors of HTTP itself, with their status and nevisIDM code.
var transport = []struct {
	err    error
	status int
	code   string
}{
	{errTooLarge, http.StatusRequestEntityTooLarge, "errors.payloadTooLarge"},
	{errMediaType, http.StatusUnsupportedMediaType, "errors.unsupportedMediaType"},
	{errMethod, http.StatusMethodNotAllowed, "errors.methodNotAllowed"},
	{errHeaderTooLarge, http.StatusRequestHeaderFieldsTooLarge, "errors.invalidData"},
}

// statusClientClosedRequest is what the access log records for a request its client abandoned
// (nginx's 499); no client ever receives it.
const statusClientClosedRequest = 499

// answerOf is the status and code of err: 500 errors.fatalError for anything unknown.
func answerOf(err error) (int, string) {
	if f, ok := fault.Of(err); ok {
		if status, known := statusOf[f.Kind()]; known {
			return status, f.Code()
		}
	}
	for _, t := range transport {
		if errors.Is(err, t.err) {
			return t.status, t.code
		}
	}
	return http.StatusInternalServerError, "errors.fatalError"
}

// writeError answers err as problem+json. 5xx are logged here and nowhere else; their detail
// never carries the error text.
func (s *server) writeError(c *gin.Context, err error) {
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		// The client closed the connection, so net/http cancelled the request: nobody reads an
		// answer, and the service did not fail. Only the access log notes it (at info level).
		c.AbortWithStatus(statusClientClosedRequest)
		return
	}
	status, code := answerOf(err)
	detail := fault.Detail(err)
	p := problem{Type: "about:blank", Title: http.StatusText(status), Status: status}
	switch status {
	case http.StatusUnauthorized:
		if reauth, ok := errors.AsType[*access.ReauthenticationRequiredError](err); ok {
			c.Header("WWW-Authenticate", fmt.Sprintf(`Bearer error="insufficient_user_authentication", `+
				`error_description="a more recent authentication is required", max_age=%d`, int(reauth.MaxAge.Seconds())))
			break
		}
		detail = "a valid token is required" // never which check failed
		if errors.Is(err, errInvalidToken) {
			c.Header("WWW-Authenticate", `Bearer error="invalid_token"`)
		} else {
			c.Header("WWW-Authenticate", `Bearer realm="otpcard"`)
		}
	case http.StatusForbidden:
		if errors.Is(err, access.ErrDataroomDenied) {
			detail = access.ErrDataroomDenied.Error()
		}
	case http.StatusLocked:
		// A login server can tell its user when to try again (API.md section 1.1).
		if timed, ok := errors.AsType[fault.Timed](err); ok && !timed.EndsAt().IsZero() {
			p.LockedUntil = timeJSON(timed.EndsAt())
			c.Header("Retry-After", strconv.Itoa(retryAfterSeconds(time.Until(timed.EndsAt()))))
		}
	case http.StatusTooManyRequests:
		seconds := 1
		if limited, ok := errors.AsType[*rateLimitedError](err); ok {
			seconds = limited.seconds
		}
		c.Header("Retry-After", strconv.Itoa(seconds))
	case http.StatusServiceUnavailable:
		c.Header("Retry-After", "5")
		detail = "the service cannot reach its database; try again shortly"
		s.logger.ErrorContext(c.Request.Context(), "request failed", "status", status, "error", err.Error())
	case http.StatusInternalServerError:
		detail = "an internal error occurred"
		s.logger.ErrorContext(c.Request.Context(), "request failed", "status", status, "error", err.Error())
	}
	p.Detail, p.Errors = detail, []problemItem{{Code: code, Message: detail}}
	c.Header("Cache-Control", "no-store")
	c.Render(status, problemRender{p})
	c.Abort()
}

// logLevelFor is how loudly a finished request is logged.
func logLevelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// problemRender writes a problem with its media type.
type problemRender struct{ p problem }

func (r problemRender) Render(w http.ResponseWriter) error {
	r.WriteContentType(w)
	body, err := jsonMarshal(r.p)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}

func (r problemRender) WriteContentType(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/problem+json")
}
