package postgres

import (
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/domain/credential"
)

type policyRow struct {
	bun.BaseModel `bun:"table:policies"`

	ExtID        string            `bun:"ext_id,pk"`
	ClientExtID  string            `bun:"client_ext_id"`
	Name         string            `bun:"name"`
	Description  string            `bun:"description"`
	PolicyType   string            `bun:"policy_type"`
	Default      bool              `bun:"default_policy"`
	Parameters   map[string]string `bun:"parameters,type:jsonb"`
	Created      time.Time         `bun:"created"`
	LastModified time.Time         `bun:"last_modified"`
	Version      int32             `bun:"version"`
}

func newPolicyRow(p credential.Policy) policyRow {
	return policyRow{ExtID: p.ExtID, ClientExtID: p.ClientExtID, Name: p.Name, Description: p.Description,
		PolicyType: credential.PolicyType, Default: p.Default, Parameters: p.Parameters.Map(),
		Created: p.Created.UTC(), LastModified: p.LastModified.UTC(), Version: p.Version}
}

func (r policyRow) policy() (credential.Policy, error) {
	params, err := credential.ParseParameters(r.Parameters)
	if err != nil {
		return credential.Policy{}, fmt.Errorf("stored policy %s: %w", r.ExtID, err)
	}
	return credential.Policy{ExtID: r.ExtID, ClientExtID: r.ClientExtID, Name: r.Name,
		Description: r.Description, Default: r.Default, Parameters: params,
		Created: r.Created.UTC(), LastModified: r.LastModified.UTC(), Version: r.Version}, nil
}
