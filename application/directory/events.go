package directory

import (
	"time"

	"github.com/otpcard/otpcard/domain/event"
)

// entityEvent records a change of a client (user empty) or a user.
func entityEvent(t event.Type, at time.Time, meta event.Meta, client, user string, version int32) event.Event {
	return event.Event{Type: t, Time: at, Actor: meta.Actor, ClientExtID: client, UserExtID: user,
		Version: version, RequestID: meta.RequestID}
}

// commentData carries a modification comment into an event; nil without one.
func commentData(comment string) map[string]string {
	if comment == "" {
		return nil
	}
	return map[string]string{"modificationComment": comment}
}

// later returns the later of two instants: an event is never recorded before the change it follows.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
