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

	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/extid"
)

// Errors raised by the HTTP layer itself.
var (
	errNotAuthenticated = errors.New("authentication required")
	errInvalidToken     = errors.New("the token is not valid")
	errInvalidData      = errors.New("invalid data")
	errTooLarge         = errors.New("request body too large")
	errMediaType        = errors.New("unsupported media type")
	errMethod           = errors.New("method not allowed")
	errNoRoute          = errors.New("no such resource")
	errUnavailable      = errors.New("service unavailable")
	errTooManyRequests  = errors.New("too many requests")
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

// problems maps errors to HTTP, in order: the first entry that matches wins. It is the only place
// that turns domain errors into status codes.
var problems = []struct {
	err    error
	status int
	code   string
}{
	{errNotAuthenticated, http.StatusUnauthorized, "errors.notAuthenticated"},
	{errInvalidToken, http.StatusUnauthorized, "errors.notAuthenticated"},
	{access.ErrPermissionDenied, http.StatusForbidden, "errors.permissionDenied"},
	{access.ErrDataroomDenied, http.StatusForbidden, "errors.dataroomPermissionDenied"},
	{access.ErrUserNotUsable, http.StatusForbidden, "errors.userNotUsable"},
	{errInvalidData, http.StatusBadRequest, "errors.invalidData"},
	{listing.ErrBadCursor, http.StatusBadRequest, "errors.invalidData"},
	{extid.ErrInvalid, http.StatusBadRequest, "errors.invalidData"},
	{directory.ErrInvalid, http.StatusBadRequest, "errors.invalidData"},
	{credential.ErrInvalid, http.StatusBadRequest, "errors.invalidData"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "errors.payloadTooLarge"},
	{errHeaderTooLarge, http.StatusRequestHeaderFieldsTooLarge, "errors.invalidData"},
	{errMediaType, http.StatusUnsupportedMediaType, "errors.unsupportedMediaType"},
	{errMethod, http.StatusMethodNotAllowed, "errors.methodNotAllowed"},
	{errNoRoute, http.StatusNotFound, "errors.noRecord"},
	{credential.ErrNotFound, http.StatusNotFound, "errors.noRecord"},
	{directory.ErrNotFound, http.StatusNotFound, "errors.noRecord"},
	{credential.ErrVersionConflict, http.StatusConflict, "errors.optimisticLockingFailure"},
	{directory.ErrVersionConflict, http.StatusConflict, "errors.optimisticLockingFailure"},
	{credential.ErrDuplicate, http.StatusConflict, "errors.duplicateValue"},
	{directory.ErrDuplicate, http.StatusConflict, "errors.duplicateValue"},
	{credential.ErrTooManyCards, http.StatusUnprocessableEntity, "errors.tooManyOTPCards"},
	{credential.ErrUnknownPolicy, http.StatusUnprocessableEntity, "errors.missingReferenceData"},
	{credential.ErrUnknownState, http.StatusUnprocessableEntity, "errors.missingReferenceData"},
	{credential.ErrArchived, http.StatusUnprocessableEntity, "errors.modifyReadonlyData"},
	{credential.ErrForbiddenTransition, http.StatusUnprocessableEntity, "errors.modifyReadonlyData"},
	{credential.ErrPolicyViolation, http.StatusUnprocessableEntity, "errors.policyViolation"},
	{credential.ErrInUse, http.StatusUnprocessableEntity, "errors.undeletedDependencies"},
	{credential.ErrDefaultRequired, http.StatusUnprocessableEntity, "errors.modifyReadonlyData"},
	{directory.ErrHasDependents, http.StatusUnprocessableEntity, "errors.undeletedDependencies"},
	{credential.ErrNoChallenge, http.StatusUnprocessableEntity, "errors.noChallenge"},
	{credential.ErrNotUsable, http.StatusForbidden, "errors.credentialNotUsable"},
	{credential.ErrLocked, http.StatusLocked, "errors.credentialLocked"},
	{errTooManyRequests, http.StatusTooManyRequests, "errors.tooManyRequests"},
	{errUnavailable, http.StatusServiceUnavailable, "errors.serviceUnavailable"},
}

// statusClientClosedRequest is what the access log records for a request its client abandoned
// (nginx's 499); no client ever receives it.
const statusClientClosedRequest = 499

// Unavailable lets the composition root mark errors that mean "the database is unreachable".
type Unavailable func(error) bool

// writeError answers err as problem+json. 5xx are logged here and nowhere else; their detail
// never carries the error text.
func (s *server) writeError(c *gin.Context, err error) {
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		// The client closed the connection, so net/http cancelled the request: nobody reads an
		// answer, and the service did not fail. Only the access log notes it (at info level).
		c.AbortWithStatus(statusClientClosedRequest)
		return
	}
	status, code := http.StatusInternalServerError, "errors.fatalError"
	var reauth *access.ReauthenticationRequiredError
	switch {
	case errors.As(err, &reauth):
		status, code = http.StatusUnauthorized, "errors.reauthenticationRequired"
		c.Header("WWW-Authenticate", fmt.Sprintf(
			`Bearer error="insufficient_user_authentication", error_description="a more recent authentication is required", max_age=%d`,
			int(reauth.MaxAge.Seconds())))
	case s.unavailable != nil && s.unavailable(err):
		err = fmt.Errorf("%w: %w", errUnavailable, err)
		status, code = http.StatusServiceUnavailable, "errors.serviceUnavailable"
	default:
		for _, p := range problems {
			if errors.Is(err, p.err) {
				status, code = p.status, p.code
				break
			}
		}
	}
	detail := detailOf(err)
	switch status {
	case http.StatusUnauthorized:
		if code == "errors.notAuthenticated" {
			detail = "a valid token is required"
			if errors.Is(err, errInvalidToken) {
				c.Header("WWW-Authenticate", `Bearer error="invalid_token"`)
			} else {
				c.Header("WWW-Authenticate", `Bearer realm="otpcard"`)
			}
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
		code = "errors.serviceUnavailable"
		s.logger.ErrorContext(c.Request.Context(), "request failed", "status", status, "error", err.Error())
	case http.StatusInternalServerError:
		detail = "an internal error occurred"
		s.logger.ErrorContext(c.Request.Context(), "request failed", "status", status, "error", err.Error())
	}
	if status == http.StatusForbidden && errors.Is(err, access.ErrDataroomDenied) {
		detail = "the client lies outside the caller's data room"
	}
	p := problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail,
		Errors: []problemItem{{Code: code, Message: detail}}}
	if locked, ok := errors.AsType[*credential.LockedError](err); ok && status == http.StatusLocked && !locked.Until.IsZero() {
		// A login server can tell its user when to try again (API.md section 1.1).
		p.LockedUntil = timeJSON(locked.Until)
		c.Header("Retry-After", strconv.Itoa(retryAfterSeconds(locked.Until.Sub(time.Now()))))
	}
	c.Header("Cache-Control", "no-store")
	c.Render(status, problemRender{p})
	c.Abort()
}

// detailOf prefers the message of the innermost typed error, which names the field or entity.
func detailOf(err error) string {
	var (
		vc  *credential.VersionConflictError
		nf  *credential.NotFoundError
		dnf *directory.NotFoundError
		pv  *credential.PolicyViolationError
		inv *directory.InvalidFieldError
		dvc *directory.VersionConflictError
		lk  *credential.LockedError
	)
	switch {
	case errors.As(err, &lk):
		return lk.Error()
	case errors.As(err, &vc):
		return vc.Error()
	case errors.As(err, &dvc):
		return dvc.Error()
	case errors.As(err, &nf):
		return nf.Error()
	case errors.As(err, &dnf):
		return dnf.Error()
	case errors.As(err, &pv):
		return pv.Error()
	case errors.As(err, &inv):
		return inv.Error()
	}
	return err.Error()
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
