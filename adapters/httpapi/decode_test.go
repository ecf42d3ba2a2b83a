package httpapi

import (
	"errors"
	"testing"
)

// TestDecodeRefusesRewrittenText: bodies that encoding/json would silently rewrite to U+FFFD (or
// that PostgreSQL cannot store) are 400; every well-formed string, escapes and non-ASCII
// included, passes unchanged.
func TestDecodeRefusesRewrittenText(t *testing.T) {
	tests := []struct {
		name string
		body string
		bad  bool
	}{
		{"invalid UTF-8 byte", "{\"loginId\": \"al\xffice\"}", true},
		{"truncated UTF-8 sequence", "{\"loginId\": \"\xc3\"}", true},
		{"overlong encoding", "{\"loginId\": \"\xc0\xaf\"}", true},
		{"lone high surrogate", `{"loginId": "a\ud800b"}`, true},
		{"lone low surrogate", `{"loginId": "a\udc00b"}`, true},
		{"high surrogate at the end", `{"loginId": "a\ud83d"}`, true},
		{"two high surrogates", `{"loginId": "\ud83d\ud83d"}`, true},
		{"NUL escape", `{"loginId": "a\u0000b"}`, true},
		{"surrogate escape in a member name", `{"\udfff": "x"}`, true},
		{"surrogate pair", `{"loginId": "\ud83d\ude00"}`, false},
		{"upper-case hex pair", `{"loginId": "\uD83D\uDE00"}`, false},
		{"UTF-8 emoji", `{"loginId": "😀 é ß"}`, false},
		{"escaped backslash before u", `{"loginId": "\\ud800"}`, false},
		{"escaped quote", `{"loginId": "a\"\ud800"}`, true},
		{"BMP escape", `{"loginId": "\u00e9\u4e2d"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkText([]byte(tt.body))
			if got := err != nil; got != tt.bad {
				t.Fatalf("checkText(%q): got %v, want refused %v", tt.body, err, tt.bad)
			}
			if err != nil && !errors.Is(err, errInvalidData) {
				t.Errorf("got %v, want an error wrapping errInvalidData", err)
			}
		})
	}
}

// TestVersionAcceptsOnlyIntegers: a version is a JSON integer or a string of ASCII digits
// (API.md section 1); signs, spaces, fractions and exponents are 400.
func TestVersionAcceptsOnlyIntegers(t *testing.T) {
	for raw, want := range map[string]int32{`3`: 3, `"3"`: 3, `"0"`: 0, `-1`: -1, `"007"`: 7} {
		var v version
		if err := v.UnmarshalJSON([]byte(raw)); err != nil || v.value == nil || *v.value != want {
			t.Errorf("version %s: got %v, %v; want %d", raw, v.value, err, want)
		}
	}
	for _, raw := range []string{`"+1"`, `"-1"`, `" 1"`, `"1 "`, `""`, `"1e2"`, `1.5`, `1e2`, `"0x1"`, `null`, `true`, `"2147483648"`} {
		var v version
		if err := v.UnmarshalJSON([]byte(raw)); err == nil {
			t.Errorf("version %s: got %d, want an error", raw, *v.value)
		}
	}
}
