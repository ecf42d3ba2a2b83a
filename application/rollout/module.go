package rollout

import (
	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
)

// UseCases are the rollout module's use cases served over HTTP (API.md section 11.1).
type UseCases struct {
	CreateJob *CreateJob
	ImportJob *ImportJob
	GetJob    *GetJob
	ListJobs  *ListJobs
	ListItems *ListItems
	CancelJob *CancelJob
}

// Deps are what the use cases need; Wake tells this instance's runner that a job is waiting.
type Deps struct {
	Jobs     Jobs
	Targets  Targets
	Printing Printing
	Importer Importer
	Wake     func()
	Now      Clock
	Tracer   trace.Tracer
}

// New builds the use cases.
func New(d Deps) UseCases {
	f := caller.Frame{Now: d.Now, Tracer: d.Tracer}
	wake := d.Wake
	if wake == nil {
		wake = func() {}
	}
	return UseCases{
		CreateJob: &CreateJob{jobs: d.Jobs, targets: d.Targets, printing: d.Printing, wake: wake, frame: f},
		ImportJob: &ImportJob{jobs: d.Jobs, importer: d.Importer, wake: wake, frame: f},
		GetJob:    &GetJob{jobs: d.Jobs, frame: f},
		ListJobs:  &ListJobs{jobs: d.Jobs, targets: d.Targets, frame: f},
		ListItems: &ListItems{jobs: d.Jobs, frame: f},
		CancelJob: &CancelJob{jobs: d.Jobs, printing: d.Printing, frame: f},
	}
}
