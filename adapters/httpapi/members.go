package httpapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// wrapped is a JSON wrapper type (such as optional) that decodes into another type; members
// checks through it.
type wrapped interface {
	wrappedType() reflect.Type
}

func (o *optional[T]) wrappedType() reflect.Type { return reflect.TypeFor[T]() }

var (
	wrappedIface     = reflect.TypeFor[wrapped]()
	unmarshalerIface = reflect.TypeFor[json.Unmarshaler]()
)

// checkMemberNames refuses members whose names match a field only when case is ignored:
// encoding/json accepts {"NAME": ...} for "name", API.md does not (unknown members are 400).
func checkMemberNames(raw []byte, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(wrappedIface) {
		inner := reflect.New(t).Interface().(wrapped).wrappedType()
		if string(raw) == "null" {
			return nil
		}
		return checkMemberNames(raw, inner, path)
	}
	if reflect.PointerTo(t).Implements(unmarshalerIface) {
		return nil // a type with its own decoding, such as version
	}
	switch t.Kind() {
	case reflect.Struct:
		var members map[string]json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil || members == nil {
			return nil // not an object: the decoder has judged it already
		}
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		for name, value := range members {
			ft, ok := fields[name]
			if !ok {
				return fmt.Errorf("%w: unknown member %q", errInvalidData, clip(path+name))
			}
			if err := checkMemberNames(value, ft, path+name+"."); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) == nil {
			for _, it := range items {
				if err := checkMemberNames(it, t.Elem(), path); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// collectFields maps the exact JSON names of a struct's fields, embedded structs included.
func collectFields(t reflect.Type, into map[string]reflect.Type) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			collectFields(f.Type, into)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[name] = f.Type
	}
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
