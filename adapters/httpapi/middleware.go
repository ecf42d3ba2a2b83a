package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
)

const (
	requestIDHeader = "X-Request-Id"
	callerKey       = "otpcard.caller"
	requestIDKey    = "otpcard.requestID"
)

// requestID takes a well-formed X-Request-Id or makes one, and echoes it.
func requestID(c *gin.Context) {
	id := c.GetHeader(requestIDHeader)
	if !wellFormedRequestID(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(requestIDKey, id)
	c.Header(requestIDHeader, id)
	c.Next()
}

func wellFormedRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("-_.:", ch) >= 0) {
			return false
		}
	}
	return true
}

// maxHeaderBytes bounds a request's header block (its request line and header fields) in the
// service's own answer, a 431 problem (API.md section 1). The HTTP server's own, larger limit
// (bootstrap) stops blocks beyond it before any handler runs, with net/http's plain-text 431.
const maxHeaderBytes = 32 << 10

// limitHeaders refuses a header block over maxHeaderBytes.
func (s *server) limitHeaders(c *gin.Context) {
	r := c.Request
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	for name, values := range r.Header {
		for _, v := range values {
			n += len(name) + len(v) + 4 // "name: value\r\n"
		}
	}
	if n > maxHeaderBytes {
		// The caller may not have read the answer before it stops sending: close afterwards.
		c.Header("Connection", "close")
		s.writeError(c, fmt.Errorf("%w: the request's header block has %d bytes, more than %d", errHeaderTooLarge, n, maxHeaderBytes))
		return
	}
	c.Next()
}

// requestTimeout bounds the work of one request, which is almost all waiting for the database.
// When the database hangs (a partition, a stuck server) the request ends with a 503 and
// Retry-After once it runs out, instead of holding the client and a connection indefinitely.
const requestTimeout = 10 * time.Second

// deadline gives every request requestTimeout; the database layer reports an expired deadline
// as the database being unavailable.
func deadline(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), requestTimeout)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// accessLog logs one line per request: never a header value or body.
func (s *server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.logger.Log(c.Request.Context(), logLevelFor(status), "request",
		"method", c.Request.Method, "route", route, "status", status,
		"duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", c.GetString(requestIDKey))
}

// recovery turns a panic into a 500 problem.
func (s *server) recovery(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.writeError(c, fmt.Errorf("panic: %v", r))
		}
	}()
	c.Next()
}

// noStore marks responses that may carry card cells as never to be cached.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.Next()
}

// authenticate admits admin (Authorization: Bearer) and self-admin (X-Token) callers. Another
// Authorization scheme is no bearer token: the request is then judged by X-Token alone.
func (s *server) authenticate(c *gin.Context) {
	ctx := c.Request.Context()
	var (
		p   access.Principal
		err error
	)
	scheme, bearer, _ := strings.Cut(c.GetHeader("Authorization"), " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		if bearer = strings.TrimSpace(bearer); bearer == "" {
			s.writeError(c, errInvalidToken)
			return
		}
		p, err = s.Auth.Admin(ctx, bearer)
	case c.GetHeader("X-Token") != "":
		p, err = s.Auth.SelfAdmin(ctx, strings.TrimSpace(c.GetHeader("X-Token")))
	default:
		s.writeError(c, errNotAuthenticated)
		return
	}
	if err != nil {
		s.logger.DebugContext(ctx, "token rejected", "reason", err.Error())
		s.writeError(c, errInvalidToken)
		return
	}
	cl := caller.Caller{Principal: p, RequestID: c.GetString(requestIDKey)}
	// A disabled or archived user's self-admin token is refused on every route, before any
	// budget is spent (API.md section 3).
	if gate := s.directory.AdmitSelfAdmin; gate != nil {
		if _, err := gate.Do(ctx, cl); err != nil {
			s.writeError(c, err)
			return
		}
	}
	c.Set(callerKey, cl)
	c.Next()
}

// callerOf returns the authenticated caller of the request.
func callerOf(c *gin.Context) caller.Caller {
	v, _ := c.Get(callerKey)
	cl, _ := v.(caller.Caller)
	return cl
}
