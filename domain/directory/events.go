package directory

import "github.com/otpcard/otpcard/domain/event"

// The directory's event types (API.md section 7): clients and users.
const (
	ClientCreated event.Type = "client.created"
	ClientChanged event.Type = "client.changed"
	ClientDeleted event.Type = "client.deleted"
	UserCreated   event.Type = "user.created"
	UserChanged   event.Type = "user.changed"
	UserDeleted   event.Type = "user.deleted"
)

// EventTypes lists the event types the directory records.
func EventTypes() []event.Type {
	return []event.Type{ClientCreated, ClientChanged, ClientDeleted, UserCreated, UserChanged, UserDeleted}
}
