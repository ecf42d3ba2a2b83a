package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/tests/client"
)

// newAPI is the benchmark's client of otpcard, calling as an admin with token: a connection pool
// for conns workers, and neither a Check nor retries, so that the client costs the measurement as
// little as it can.
func newAPI(base, token string, conns int) *client.API {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return client.New(base, client.Options{HTTP: &http.Client{Transport: tr, Timeout: 60 * time.Second}}).As(token)
}

// card is a card the benchmark holds with its cells in clear.
type card struct {
	extID  string
	layout credential.Layout
	cells  []string
}

// cardFrom reads the clear card of a create or replace response.
func cardFrom(c client.Credential) (card, error) {
	o, err := credential.ParseOTPString(c.OTP)
	if err != nil {
		return card{}, fmt.Errorf("card %s: %w", c.ExtID, err)
	}
	for _, cell := range o.Cells {
		if strings.Trim(cell, "*") == "" {
			return card{}, fmt.Errorf("card %s: response carries a masked card, want it in clear", c.ExtID)
		}
	}
	return card{extID: c.ExtID, layout: credential.Layout{Rows: o.Rows, Cols: o.Cols}, cells: o.Cells}, nil
}

// answer returns the cell a challenge label asks for.
func (c card) answer(label string) (string, error) {
	l := c.layout
	l.Coordinate = label != "" && (label[0] < '0' || label[0] > '9')
	i, err := l.ParseLabel(label)
	if err != nil {
		return "", err
	}
	return c.cells[i], nil
}

// user is a seeded user with the card the benchmark drives.
type benchUser struct {
	extID string
	card  card
}

// seed is what the benchmark created: one client, a policy with cellReuse=true, and users per
// worker, each with cards cards (the newest one driven).
type seed struct {
	client  string
	policy  string
	cards   int
	workers [][]*benchUser // workers[w] are worker w's users
}

// seedData creates the client, the policy and workers x perWorker users with one card each,
// with parallel requests.
func seedData(ctx context.Context, a *client.API, workers, perWorker, cards int) (*seed, error) {
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	rec := client.NewRecorder(ctx)
	c := a.CreateClient(rec, client.ClientCreate{Name: "bench-" + tag}).Want(rec, http.StatusCreated)
	if err := rec.Err(); err != nil {
		return nil, fmt.Errorf("seed client: %w", err)
	}
	// cellReuse=true (API.md 5.2, ext): a cell may succeed again, the least used cells are asked
	// first, so a card never runs out of challenges however long the login scenarios run.
	policy := a.CreatePolicy(rec, c.ExtID, client.PolicyCreate{Name: "bench-reuse", PolicyType: "OTPCardPolicy",
		Parameters: map[string]string{"cellReuse": "true"}}).Want(rec, http.StatusCreated)
	if err := rec.Err(); err != nil {
		return nil, fmt.Errorf("seed policy: %w", err)
	}
	s := &seed{client: c.ExtID, policy: policy.ExtID, cards: cards, workers: make([][]*benchUser, workers)}
	for w := range s.workers {
		s.workers[w] = make([]*benchUser, perWorker)
	}
	type job struct{ w, u int }
	jobs := make(chan job)
	errc := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for j := range jobs {
				u, err := seedUser(ctx, a, s, fmt.Sprintf("w%03d-u%03d", j.w, j.u))
				if err != nil {
					select {
					case errc <- err:
					default:
					}
					cancel()
					continue
				}
				s.workers[j.w][j.u] = u
			}
		})
	}
feed:
	for w := range workers {
		for u := range perWorker {
			select {
			case jobs <- job{w, u}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		return nil, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// seedUser creates a user and its active card.
func seedUser(ctx context.Context, a *client.API, s *seed, loginID string) (*benchUser, error) {
	rec := client.NewRecorder(ctx)
	u := a.CreateUser(rec, s.client, client.UserCreate{LoginID: loginID}).Want(rec, http.StatusCreated)
	if err := rec.Err(); err != nil {
		return nil, fmt.Errorf("seed user: %w", err)
	}
	var cj client.Credential
	for range s.cards { // the older cards first: the newest usable card is the one a challenge asks
		cj = a.CreateCard(rec, client.UserKey{Client: s.client, User: u.ExtID},
			client.CredentialCreate{PolicyExtID: s.policy, StateName: "active"}).Want(rec, http.StatusCreated)
	}
	if err := rec.Err(); err != nil {
		return nil, fmt.Errorf("seed card: %w", err)
	}
	c, err := cardFrom(cj)
	if err != nil {
		return nil, err
	}
	return &benchUser{extID: u.ExtID, card: c}, nil
}
