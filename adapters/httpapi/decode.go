package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/otpcard/otpcard/domain/extid"
)

// maxBodyBytes is the largest request body accepted (API.md section 1).
const maxBodyBytes = 64 << 10

// decodeBody reads a JSON object into dst: the content type must be application/json, the body
// present, at most 64 KiB, one JSON object without unknown members.
func decodeBody(c *gin.Context, dst any) error { return decodeBodyUpTo(c, dst, maxBodyBytes) }

// decodeBodyUpTo is decodeBody for a route that accepts bodies up to limit bytes.
func decodeBodyUpTo(c *gin.Context, dst any, limit int64) error {
	r := c.Request
	if r.ContentLength > limit {
		return fmt.Errorf("%w: the body exceeds %d bytes", errTooLarge, limit)
	}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return fmt.Errorf("%w: a JSON body is required", errInvalidData)
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return fmt.Errorf("%w: send the body as application/json", errMediaType)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fmt.Errorf("%w: the body exceeds %d bytes", errTooLarge, limit)
		}
		return fmt.Errorf("%w: the body could not be read", errInvalidData)
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return fmt.Errorf("%w: a JSON body is required", errInvalidData)
	}
	if err := checkText(trimmed); err != nil {
		return err
	}
	if trimmed[0] != '{' {
		return fmt.Errorf("%w: the body must be a JSON object", errInvalidData)
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%w: %s", errInvalidData, describeJSONError(err))
	}
	if dec.More() {
		return fmt.Errorf("%w: unexpected data after the JSON object", errInvalidData)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: unexpected data after the JSON object", errInvalidData)
	}
	return checkMemberNames(trimmed, reflect.TypeOf(dst), "")
}

// describeJSONError explains a decoding error without echoing the input.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var versionErr *versionError
	switch {
	case errors.As(err, &versionErr):
		return versionErr.Error()
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return fmt.Sprintf("member %q must be of type %s", typeErr.Field, typeErr.Type.String())
		}
		return "a member has the wrong type"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if len(name) > 80 {
			name = name[:80] + "…\""
		}
		return "unknown member " + name
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends early"
	}
	return "malformed JSON"
}

// version is the optimistic-locking version of a write body: a JSON number or a decimal string.
type version struct {
	value *int32
}

type versionError struct{}

func (versionError) Error() string {
	return `member "version" must be an integer (as number or string)`
}

// UnmarshalJSON accepts 3 and "3": a JSON integer, or a string of ASCII digits with no sign,
// space or exponent (API.md section 1).
func (v *version) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return &versionError{}
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil || !allDigits(s) {
			return &versionError{}
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return &versionError{}
	}
	i := int32(n)
	v.value = &i
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// requestedExtID is the extId a create body asks for: empty when it names none (the server
// generates one); an empty string is refused, since it is neither a name nor the absence of one
// (API.md section 1).
func requestedExtID(given *string) (string, error) {
	if given == nil {
		return "", nil
	}
	if *given == "" {
		return "", fmt.Errorf("%w: extId must not be empty; leave it out to have one generated", errInvalidData)
	}
	return *given, nil
}

// pathID reads and validates an extId path parameter.
func pathID(c *gin.Context, name string) (string, error) {
	id := c.Param(name)
	if err := extid.Validate(id); err != nil {
		return "", fmt.Errorf("%w: path parameter %s: %v", errInvalidData, name, err)
	}
	return id, nil
}

// clientPath reads the client of a path.
func clientPath(c *gin.Context) (string, error) { return pathID(c, "clientExtId") }

// pathKey is what the path of an entity under a client names: the client and the entity's extId.
type pathKey struct {
	client, id string
}

// underClient reads the path of an entity under a client: the client first, then the entity's
// extId, the path parameter name.
func underClient(c *gin.Context, name string) (pathKey, error) {
	client, err := clientPath(c)
	if err != nil {
		return pathKey{}, err
	}
	id, err := pathID(c, name)
	return pathKey{client: client, id: id}, err
}

// withBody reads a request that has a path and a JSON body: the path with path, then the body
// into a B. The path comes first, so that a request wrong in both is answered for its path.
func withBody[B, P any](c *gin.Context, path func(*gin.Context) (P, error)) (P, B, error) {
	var body B
	p, err := path(c)
	if err != nil {
		return p, body, err
	}
	return p, body, decodeBody(c, &body)
}
