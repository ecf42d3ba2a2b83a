package credential

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/rollout"
)

// This file is the credential module's side of its seam with the rollout module
// (approllout.Targets): it evaluates a job's selection over the module's holders and cards. It is
// the only file of the module that knows rollout jobs.

// RenewalCandidates finds what selections select.
type RenewalCandidates interface {
	// ClientExists returns a *fault.NotFoundError unless the client exists.
	ClientExists(ctx context.Context, clientExtID string) error
	ImportPolicies
	// UsersWithoutCard returns the client's holders who may receive cards and hold no card that
	// is not archived, in the order of their extIds.
	UsersWithoutCard(ctx context.Context, clientExtID string) ([]string, error)
	// CandidatesForRenewal calls fn with every initial or active card without a successor of the
	// client (under policyExtID, when set) whose holder may authenticate, with its policy, in
	// the order of the users' extIds; it stops at fn's first error.
	CandidatesForRenewal(ctx context.Context, clientExtID, policyExtID string, fn func(UserCard) error) error
}

// RolloutTargets evaluates the selections of rollout jobs.
type RolloutTargets struct {
	store RenewalCandidates
}

var _ approllout.Targets = (*RolloutTargets)(nil)

// NewRolloutTargets builds the seam.
func NewRolloutTargets(store RenewalCandidates) *RolloutTargets { return &RolloutTargets{store: store} }

// CheckClient tells whether the client exists, and has the policy when one is named.
func (t *RolloutTargets) CheckClient(ctx context.Context, clientExtID, policyExtID string) error {
	if policyExtID != "" {
		_, err := t.store.PolicyOfClient(ctx, clientExtID, policyExtID)
		return err
	}
	return t.store.ClientExists(ctx, clientExtID)
}

// Targets returns the users (usersWithoutCard) or the cards (cardsLowOnChallenges,
// cardsCloseToExpiration, by each card's policy's threshold) a selection selects at q.Now.
func (t *RolloutTargets) Targets(ctx context.Context, q approllout.TargetQuery) ([]approllout.Target, error) {
	if q.Selection == rollout.UsersWithoutCard {
		users, err := t.store.UsersWithoutCard(ctx, q.ClientExtID)
		targets := make([]approllout.Target, len(users))
		for i, u := range users {
			targets[i] = approllout.Target{UserExtID: u}
		}
		return targets, err
	}
	selects := func(c *credential.OTPCard, p credential.Parameters, now time.Time) bool { return c.LowOnChallenges(p) }
	if q.Selection == rollout.CardsCloseToExpiration {
		selects = func(c *credential.OTPCard, p credential.Parameters, now time.Time) bool {
			return c.CloseToExpiry(p, now)
		}
	}
	var targets []approllout.Target
	err := t.store.CandidatesForRenewal(ctx, q.ClientExtID, q.PolicyExtID, func(uc UserCard) error {
		if uc.Card.Renewable() && selects(uc.Card, uc.Policy.Parameters, q.Now) {
			targets = append(targets, approllout.Target{UserExtID: uc.Card.Snapshot().UserExtID, CardExtID: uc.Card.ExtID()})
		}
		return nil
	})
	return targets, err
}

// RolloutImporter stages and imports the cards of import files (approllout.Importer): a row's
// cells are checked against the policy's layout, hashed, and kept as verifiers only.
type RolloutImporter struct {
	issue  *IssueForPrint
	client ImportPolicies
	hasher CellHasher
	now    Clock
}

var _ approllout.Importer = (*RolloutImporter)(nil)

// ImportPolicies finds a client's policy without a user.
type ImportPolicies interface {
	// PolicyOfClient returns the client's policy with that extId, or its default policy when
	// policyExtID is empty. It returns a *fault.NotFoundError for an unknown client and
	// credential.ErrUnknownPolicy for an unknown policy.
	PolicyOfClient(ctx context.Context, clientExtID, policyExtID string) (credential.Policy, error)
}

// NewRolloutImporter builds the seam.
func NewRolloutImporter(issue *IssueForPrint, client ImportPolicies, hasher CellHasher, now Clock) *RolloutImporter {
	return &RolloutImporter{issue: issue, client: client, hasher: hasher, now: now}
}

// stagedCard is a staged row: what it said of the card, and the card's verifiers; no cell.
type stagedCard struct {
	UserExtID  string    `json:"u"`
	ExtID      string    `json:"e,omitempty"`
	Serial     string    `json:"s,omitempty"`
	State      string    `json:"st"`
	ValidTo    time.Time `json:"vt,omitzero"`
	Rows       int       `json:"r"`
	Cols       int       `json:"c"`
	CellLength int       `json:"l"`
	Charset    string    `json:"cs"`
	Coordinate bool      `json:"co,omitempty"`
	Scheme     string    `json:"sc"`
	Salt       []byte    `json:"sa"`
	Verifiers  [][]byte  `json:"v"`
}

// Stager resolves the import's policy and returns the row stager.
func (im *RolloutImporter) Stager(ctx context.Context, clientExtID, policyExtID string) (approllout.StageRow, string, error) {
	policy, err := im.client.PolicyOfClient(ctx, clientExtID, policyExtID)
	if err != nil {
		return nil, "", err
	}
	layout := policy.Parameters.Layout
	return func(ctx context.Context, row approllout.ImportRow) ([]byte, *approllout.RowProblem, error) {
		problem := func(column int, err error) ([]byte, *approllout.RowProblem, error) {
			code := "errors.invalidData"
			if f, ok := fault.Of(err); ok {
				code = f.Code()
			}
			return nil, &approllout.RowProblem{Column: column, Code: code}, nil
		}
		s := stagedCard{UserExtID: row.UserExtID, ExtID: row.ExtID, Rows: layout.Rows, Cols: layout.Cols,
			CellLength: layout.CellLength, Charset: string(layout.Charset), Coordinate: layout.Coordinate}
		if err := extid.Validate(row.UserExtID); err != nil {
			return problem(approllout.ColumnUserExtID, err)
		}
		if row.ExtID != "" {
			if err := extid.Validate(row.ExtID); err != nil {
				return problem(approllout.ColumnExtID, err)
			}
		}
		if row.SerialNumber != "" {
			serial, err := credential.ParseSerial(row.SerialNumber)
			if err != nil {
				return problem(approllout.ColumnSerialNumber, err)
			}
			s.Serial = string(serial)
		}
		state, err := credential.ImportedState(row.StateName)
		if err != nil {
			return problem(approllout.ColumnStateName, err)
		}
		s.State = string(state)
		if row.ValidTo != "" {
			if s.ValidTo, err = time.Parse(time.RFC3339, row.ValidTo); err != nil || !s.ValidTo.After(im.now()) {
				return problem(approllout.ColumnValidTo, fault.ErrInvalid)
			}
			s.ValidTo = s.ValidTo.UTC()
		}
		cells, err := credential.ImportedCells(layout, row.Cells)
		if err != nil {
			return problem(approllout.ColumnCells, err)
		}
		secret, err := im.hasher.Hash(ctx, cells)
		clear(cells)
		if err != nil {
			return nil, nil, fmt.Errorf("hash cells: %w", err)
		}
		s.Scheme, s.Salt, s.Verifiers = secret.Scheme, secret.Salt, secret.Verifiers
		blob, err := json.Marshal(s)
		return blob, nil, err
	}, policy.ExtID, nil
}

// ImportChunk creates the items' staged cards.
func (im *RolloutImporter) ImportChunk(ctx context.Context, run approllout.ChunkRun, items []rollout.Item, staged map[int][]byte,
	within func(ctx context.Context, tried []rollout.Item, fatal bool) error) error {
	job := run.Job
	orders := make([]CardOrder, 0, len(items))
	at := make([]int, 0, len(items)) // the item of each order
	tried := slices.Clone(items)
	for i, it := range items {
		var s stagedCard
		if err := json.Unmarshal(staged[it.N], &s); err != nil || len(staged[it.N]) == 0 {
			tried[i].Result, tried[i].ErrorCode = rollout.ResultFailed, "errors.internal" // staged data lost: never guess a card
			continue
		}
		layout := credential.Layout{Rows: s.Rows, Cols: s.Cols, CellLength: s.CellLength, Charset: credential.Charset(s.Charset), Coordinate: s.Coordinate}
		grid, err := credential.NewGrid(layout, credential.Secret{Scheme: s.Scheme, Salt: s.Salt, Verifiers: s.Verifiers})
		if err != nil {
			tried[i].Result, tried[i].ErrorCode = rollout.ResultFailed, "errors.internal"
			continue
		}
		orders = append(orders, CardOrder{ClientExtID: job.ClientExtID, UserExtID: s.UserExtID, PolicyExtID: job.PolicyExtID,
			Preset: &PresetCard{Grid: grid, ExtID: s.ExtID, Serial: credential.Serial(s.Serial), State: credential.State(s.State), ValidTo: s.ValidTo}})
		at = append(at, i)
	}
	printRun := PrintRun{Meta: job.Meta(), Data: map[string]string{"jobId": job.ID}, Comment: job.Comment}
	return im.issue.Do(ctx, printRun, orders, func(ctx context.Context, outcomes []PrintOutcome) error {
		fatal := false
		for k, o := range outcomes {
			it := &tried[at[k]]
			if o.Err != nil {
				it.Result, it.ErrorCode = rollout.ResultFailed, "errors.internal"
				if f, ok := fault.Of(o.Err); ok {
					it.ErrorCode = f.Code()
				}
				fatal = fatal || errors.Is(o.Err, credential.ErrUnknownPolicy)
				continue
			}
			s := o.Issued.Card.Snapshot()
			it.Result, it.CredentialExtID, it.SerialNumber = rollout.ResultImported, s.ExtID, string(s.Serial)
		}
		return within(ctx, tried, fatal)
	})
}
