package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// Fuzz targets of the request body decoders (issue 5, "Abuse and bad input"). The committed corpora
// under testdata/fuzz/<target>/ run with every plain `go test`; run one longer with, for example,
//
//	go test -run '^$' -fuzz '^FuzzDecodeBody$' -fuzztime 10m ./adapters/httpapi/

// bodyDecoders are the request bodies of the handlers, in the order a fuzz input's first byte picks
// them (keep the order: the committed corpora depend on it).
var bodyDecoders = []struct {
	name string
	new  func() any
}{
	{"createClient", func() any { return &createClientBody{} }},
	{"changeClient", func() any { return &changeClientBody{} }},
	{"createUser", func() any { return &createUserBody{} }},
	{"changeUser", func() any { return &userPatchJSON{} }},
	{"createPolicy", func() any { return &createPolicyBody{} }},
	{"modifyPolicy", func() any { return &modifyPolicyBody{} }},
	{"createCard", func() any { return &createCardBody{} }},
	{"patchCard", func() any { return &patchCardBody{} }},
	{"replaceCard", func() any { return &replaceCardBody{} }},
	{"login", func() any { return &loginBody{} }},
}

// The ways a fuzz input sends its body (bits 4-5 of the selector byte) and whether it is chunked
// (bit 6, no Content-Length: the size limit then comes from the reader).
const (
	ctJSON = iota
	ctJSONCharset
	ctFuzzed
	ctNone
)

// decodeRequest runs decodeBody on a POST with the body and content type, in a gin test context.
func decodeRequest(body []byte, contentType string, chunked bool, dst any) error {
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	if chunked {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body)))
		r.ContentLength = -1
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	c.Request = r
	return decodeBody(c, dst)
}

// maxDetail bounds an error message: a problem's detail must not echo the body back.
const maxDetail = 256

// FuzzDecodeBody: decodeBody never panics for any body struct, content type or framing; it returns
// nil or an error wrapping exactly one of errInvalidData, errTooLarge and errMediaType, each only
// when it applies; it accepts only a single JSON object under 64 KiB sent as application/json.
func FuzzDecodeBody(f *testing.F) {
	for i := range bodyDecoders {
		k := byte(i)
		f.Add(k, "", []byte(`{}`))
		f.Add(k|ctFuzzed<<4, "text/plain", []byte(`{}`))
		f.Add(k|1<<6, "", []byte(`{"version":"3","modificationComment":"x"}`))
	}
	f.Add(byte(0), "", []byte(`{"extId":"c1","name":"n","displayName":{"EN":"e","DE":"d"},"remarks":"r","version":1}`))
	f.Add(byte(1), "", []byte(`{"name":null,"displayName":{"EN":"e"},"remarks":"r","version":"2"}`))
	f.Add(byte(2), "", []byte(`{"loginId":"l","name":{"title":"t","firstName":"f","familyName":"g"},"contacts":{"email":"a@b.c","mobile":"+41791234567"},"address":{"city":"Z"},"validity":{"from":"2026-01-01T00:00:00Z"},"properties":{"k":"v"},"isTechnicalUser":true}`))
	f.Add(byte(3), "", []byte(`{"loginId":null,"name":{"title":null},"contacts":{"fax":"1"},"validity":null,"properties":{"k":5}}`))
	f.Add(byte(4), "", []byte(`{"name":"p","policyType":"OTPCardPolicy","defaultPolicy":true,"parameters":{"rows":"5","cols":5}}`))
	f.Add(byte(5), "", []byte(`{"parameters":null,"defaultPolicy":"yes","version":1.5}`))
	f.Add(byte(6), "", []byte(`{"extId":"card","policyExtId":"p","stateName":"active","version":1}`))
	f.Add(byte(7), "", []byte(`{"stateName":"disabled","version":"-2147483648"}`))
	f.Add(byte(8), "", []byte(`{"modificationComment":"a\u0000b"}`))
	f.Add(byte(8), "", []byte(`{"version":2147483648}`))
	f.Add(byte(8), "", []byte(`{} {}`))
	f.Add(byte(8), "", []byte(`{"modificationComment":"`+strings.Repeat("x", 70<<10)+`"}`))
	f.Add(byte(8|1<<6), "", []byte(`{"modificationComment":"`+strings.Repeat("x", 70<<10)+`"}`))
	f.Add(byte(9), "", []byte(`{"challenge":"B7","password":"ABCD","updateLoginInfoOnSuccess":false}`))
	f.Add(byte(9), "", []byte(`{"challenge":"B7","challenge":"C1"}`))
	f.Add(byte(9), "", []byte("{\"password\":\"\xff\xfe\"}"))
	f.Add(byte(9), "", []byte(`{"password":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`))
	f.Add(byte(9|ctFuzzed<<4), "application/json; charset=\"", []byte(`{}`))
	f.Add(byte(9|ctNone<<4), "", []byte(`{}`))
	f.Fuzz(func(t *testing.T, sel byte, ct string, body []byte) {
		d := bodyDecoders[int(sel&0x0f)%len(bodyDecoders)]
		chunked := sel&(1<<6) != 0
		switch (sel >> 4) & 3 {
		case ctJSON:
			ct = "application/json"
		case ctJSONCharset:
			ct = "application/json; charset=utf-8"
		case ctNone:
			ct = ""
		}
		err := decodeRequest(body, ct, chunked, d.new())
		if err == nil {
			checkAccepted(t, d.name, ct, body)
			return
		}
		var kinds []string
		for _, k := range []struct {
			name string
			err  error
		}{{"errInvalidData", errInvalidData}, {"errTooLarge", errTooLarge}, {"errMediaType", errMediaType}} {
			if errors.Is(err, k.err) {
				kinds = append(kinds, k.name)
			}
		}
		if len(kinds) != 1 {
			t.Fatalf("%s: got error %v matching %v, want exactly one of errInvalidData, errTooLarge, errMediaType", d.name, err, kinds)
		}
		if len(err.Error()) > maxDetail {
			t.Fatalf("%s: error of %d bytes %.80q..., want at most %d: the body must not be echoed", d.name, len(err.Error()), err.Error(), maxDetail)
		}
		if !utf8.ValidString(err.Error()) {
			t.Fatalf("%s: error %q is not valid UTF-8", d.name, err.Error())
		}
		if errors.Is(err, errTooLarge) && len(body) <= maxBodyBytes {
			t.Fatalf("%s: got %v for %d bytes, want errTooLarge only beyond %d", d.name, err, len(body), maxBodyBytes)
		}
		if errors.Is(err, errMediaType) && isJSONMedia(ct) {
			t.Fatalf("%s: got %v for Content-Type %q", d.name, err, ct)
		}
	})
}

// isJSONMedia reports whether a Content-Type names application/json.
func isJSONMedia(ct string) bool {
	return ct == "application/json" || ct == "application/json; charset=utf-8"
}

// checkAccepted fails unless an accepted request is what API.md section 1 allows.
func checkAccepted(t *testing.T, name, ct string, body []byte) {
	t.Helper()
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(body) > maxBodyBytes:
		t.Fatalf("%s: accepted a body of %d bytes, want at most %d", name, len(body), maxBodyBytes)
	case !json.Valid(trimmed) || trimmed[0] != '{':
		t.Fatalf("%s: accepted %q, want only a single JSON object", name, body)
	case bytes.Contains(trimmed, []byte(`\u0000`)):
		t.Fatalf("%s: accepted %q with a NUL character", name, body)
	case !strings.EqualFold(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]), "application/json"):
		t.Fatalf("%s: accepted Content-Type %q, want application/json", name, ct)
	}
}

// decimalString is what a version string may hold: ASCII digits, no sign (API.md section 1).
var (
	decimalString = regexp.MustCompile(`^[0-9]+$`)
	jsonInteger   = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
)

// versionOracle says whether a JSON value is a version: an integer in int32 range written as a
// JSON integer or as a string of decimal digits (optionally signed), and which. ok is false for a
// value that is not valid JSON.
func versionOracle(raw []byte) (want int32, accept, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, false, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return 0, false, false
	}
	var digits string
	switch x := v.(type) {
	case json.Number:
		if !jsonInteger.MatchString(string(x)) {
			return 0, false, true
		}
		digits = string(x)
	case string:
		if !decimalString.MatchString(x) {
			return 0, false, true
		}
		digits = x
	default:
		return 0, false, true
	}
	n, _ := new(big.Int).SetString(strings.TrimPrefix(digits, "+"), 10)
	if n == nil || !n.IsInt64() || n.Int64() < math.MinInt32 || n.Int64() > math.MaxInt32 {
		return 0, false, true
	}
	return int32(n.Int64()), true, true
}

// FuzzVersion: the version member accepts exactly the integers in int32 range, as a JSON number or
// a decimal string, both directly and through decodeBody; anything else is 400 naming version.
func FuzzVersion(f *testing.F) {
	for _, s := range []string{`3`, `"3"`, `0`, `-1`, `"-1"`, `"+7"`, `"007"`, `2147483647`, `-2147483648`,
		`2147483648`, `"-2147483649"`, `1.5`, `1e2`, `"1e2"`, `-0`, `"-0"`, `" 3"`, `"3 "`, `"\u0033"`, `"٣"`,
		`null`, `true`, `[1]`, `{}`, `""`, `"0x10"`, `99999999999999999999999`, `"1_000"`, `"3\u0000"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		want, accept, ok := versionOracle([]byte(raw))
		if !ok {
			return // not a JSON value: a syntax error, covered by FuzzDecodeBody
		}
		var direct struct {
			Version version `json:"version"`
		}
		err := json.Unmarshal([]byte(`{"version":`+raw+`}`), &direct)
		switch {
		case accept && (err != nil || direct.Version.value == nil || *direct.Version.value != want):
			t.Fatalf("version %s: got %v, %v; want %d", raw, direct.Version.value, err, want)
		case !accept && err == nil:
			t.Fatalf("version %s: got %d, want an error", raw, *direct.Version.value)
		case !accept && !errors.As(err, new(*versionError)):
			t.Fatalf("version %s: got error %v, want a versionError", raw, err)
		}
		body := []byte(`{"version":` + raw + `}`)
		var replace struct {
			ModificationComment string  `json:"modificationComment"`
			Version             version `json:"version"`
		}
		err = decodeRequest(body, "application/json", false, &replace)
		if bytes.Contains(body, []byte(`\u0000`)) {
			if !errors.Is(err, errInvalidData) {
				t.Fatalf("version %s with a NUL: got %v, want errInvalidData", raw, err)
			}
			return
		}
		switch {
		case accept && (err != nil || replace.Version.value == nil || *replace.Version.value != want):
			t.Fatalf("decodeBody version %s: got %v, %v; want %d", raw, replace.Version.value, err, want)
		case !accept && (!errors.Is(err, errInvalidData) || !strings.Contains(err.Error(), `"version"`)):
			t.Fatalf("decodeBody version %s: got %v, want errInvalidData naming version", raw, err)
		}
	})
}
