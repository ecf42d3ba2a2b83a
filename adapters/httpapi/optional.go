package httpapi

import (
	"bytes"
	"encoding/json"

	"github.com/otpcard/otpcard/domain/directory"
)

// optional is one member of a PATCH body (JSON merge patch, RFC 7396, at the top level): absent
// leaves the stored value, null clears it, a value replaces it whole. Nested objects are decoded
// as strictly as the body itself: unknown members are refused.
type optional[T any] struct {
	set, null bool
	value     T
}

// UnmarshalJSON is called for every member present, null included.
func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		o.null = true
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(&o.value)
}

// present reports a member given with a value, not null.
func (o optional[T]) present() bool { return o.set && !o.null }

// patched turns a member into a domain change, converting a present value with conv; null is
// the zero value, which clears the member.
func patched[W, D any](o optional[W], conv func(W) D) directory.Optional[D] {
	if !o.set {
		return directory.Optional[D]{}
	}
	if o.null {
		var zero D
		return directory.To(zero)
	}
	return directory.To(conv(o.value))
}

// same is the conversion of members whose wire and domain types agree.
func same[T any](v T) T { return v }
