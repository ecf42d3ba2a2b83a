package access

import (
	"encoding/json"
	"fmt"
)

// ClaimList reads a claim that grants (roles, permissions, clients), as every token or ID token
// carries it: absent is nil (for clients, no data-room restriction), present is a non-nil slice
// even when empty, and anything but an array of strings (null included) is an error.
func ClaimList(name string, raw json.RawMessage) ([]string, error) {
	if raw == nil {
		return nil, nil
	}
	var items []*string
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, fmt.Errorf("claim %s is not an array of strings", name)
	}
	out := make([]string, 0, len(items))
	for _, s := range items {
		if s == nil {
			return nil, fmt.Errorf("claim %s is not an array of strings", name)
		}
		out = append(out, *s)
	}
	return out, nil
}
