package directory

import (
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
)

// UseCases are the directory's use cases: the one value of the module that bootstrap provides
// and the HTTP adapter takes whole. Every use case has one call shape, Do(ctx, command).
type UseCases struct {
	CreateClient *CreateClient
	GetClient    *GetClient
	ListClients  *ListClients
	ChangeClient *ChangeClient
	DeleteClient *DeleteClient
	CreateUser   *CreateUser
	GetUser      *GetUser
	ListUsers    *ListUsers
	ChangeUser   *ChangeUser
	DeleteUser   *DeleteUser
	// GetPrintSettings and SetPrintSettings read and replace a client's print settings (ext).
	GetPrintSettings *GetPrintSettings
	SetPrintSettings *SetPrintSettings
	// AdmitSelfAdmin refuses the self-admin tokens of users who may not authenticate.
	AdmitSelfAdmin *AdmitSelfAdmin
}

// Deps are what the directory's use cases need: its stores, the other modules' part in its
// changes, and the clock.
type Deps struct {
	Clients ClientStore
	Users   UserStore
	// Dependents are the modules whose data hangs on clients and users; each is told of every
	// change inside the directory's transaction, and any one refusing fails the change.
	Dependents []Dependents
	// Recipients checks the print recipients a client sets.
	Recipients RecipientChecker
	Now        Clock
	Tracer     trace.Tracer
}

// Clock tells the time; the use cases never read the system clock themselves.
type Clock func() time.Time

// New builds the directory's use cases.
func New(d Deps) UseCases {
	deps := everyDependent(d.Dependents)
	f := caller.Frame{Now: d.Now, Tracer: d.Tracer}
	return UseCases{
		CreateClient:     &CreateClient{clients: d.Clients, dependents: deps, frame: f},
		GetClient:        &GetClient{clients: d.Clients, frame: f},
		ListClients:      &ListClients{clients: d.Clients, frame: f},
		ChangeClient:     &ChangeClient{clients: d.Clients, dependents: deps, frame: f},
		DeleteClient:     &DeleteClient{clients: d.Clients, dependents: deps, frame: f},
		CreateUser:       &CreateUser{users: d.Users, dependents: deps, frame: f},
		GetUser:          &GetUser{users: d.Users, frame: f},
		ListUsers:        &ListUsers{users: d.Users, frame: f},
		ChangeUser:       &ChangeUser{users: d.Users, dependents: deps, frame: f},
		DeleteUser:       &DeleteUser{users: d.Users, dependents: deps, frame: f},
		AdmitSelfAdmin:   &AdmitSelfAdmin{users: d.Users, tracer: d.Tracer},
		GetPrintSettings: &GetPrintSettings{clients: d.Clients, frame: f},
		SetPrintSettings: &SetPrintSettings{clients: d.Clients, recipients: d.Recipients, dependents: deps, frame: f},
	}
}
