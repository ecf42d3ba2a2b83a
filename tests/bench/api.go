package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
)

const (
	corePath = "/nevisidm/api/core/v1"
	authPath = "/nevisidm/api/auth/v1"
)

// api calls otpcard's HTTP API as an admin.
type api struct {
	base   string
	bearer string // "Bearer <token>"
	hc     *http.Client
}

func newAPI(base, token string, conns int) *api {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &api{base: base, bearer: "Bearer " + token, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

func (a *api) close() { a.hc.CloseIdleConnections() }

// statusError is a response with an unexpected status.
type statusError struct {
	method, path string
	status       int
	detail       string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s", e.method, e.path, e.status, e.detail)
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// do sends one request (body marshalled to JSON unless nil or []byte) and decodes a response
// with status want into out (nil: the body is read and dropped).
func (a *api) do(ctx context.Context, method, path string, body any, want int, out any) error {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", a.bearer)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return &statusError{method: method, path: path, status: resp.StatusCode, detail: problemDetail(buf.Bytes())}
	}
	if out != nil {
		if err := json.Unmarshal(buf.Bytes(), out); err != nil {
			return fmt.Errorf("%s %s: decode response: %w", method, path, err)
		}
	}
	return nil
}

// problemDetail names the nevisIDM error code and detail of a problem body, briefly.
func problemDetail(body []byte) string {
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &p) != nil {
		s := strings.TrimSpace(string(body))
		if len(s) > 120 {
			s = s[:120] + "..."
		}
		return s
	}
	code := ""
	if len(p.Errors) > 0 {
		code = p.Errors[0].Code + ": "
	}
	return code + p.Detail
}

// card is a card the benchmark holds with its cells in clear.
type card struct {
	extID  string
	layout credential.Layout
	cells  []string
}

// cardJSON is the part of a credential response the benchmark reads.
type cardJSON struct {
	ExtID   string `json:"extId"`
	Version int32  `json:"version"`
	OTP     string `json:"otp"`
}

// cardFrom reads the clear card of a create or replace response.
func cardFrom(c cardJSON) (card, error) {
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

// paths of one user.
func (a *api) cardsPath(client, user string) string {
	return corePath + "/" + url.PathEscape(client) + "/users/" + url.PathEscape(user) + "/otp-credentials"
}

func (a *api) otpPath(client, user string) string {
	return authPath + "/" + url.PathEscape(client) + "/users/" + url.PathEscape(user) + "/otp"
}

// seed is what the benchmark created: one client, a policy with cellReuse=true, and users per
// worker, each with one card.
type seed struct {
	client  string
	policy  string
	workers [][]*benchUser // workers[w] are worker w's users
}

// seedData creates the client, the policy and workers x perWorker users with one card each,
// with parallel requests.
func seedData(ctx context.Context, a *api, workers, perWorker int) (*seed, error) {
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	var client struct {
		ExtID string `json:"extId"`
	}
	if err := a.do(ctx, http.MethodPost, corePath+"/clients",
		map[string]any{"name": "bench-" + tag}, http.StatusCreated, &client); err != nil {
		return nil, fmt.Errorf("seed client: %w", err)
	}
	// cellReuse=true (API.md 5.2, ext): a cell may succeed again, the least used cells are asked
	// first, so a card never runs out of challenges however long the login scenarios run.
	var policy struct {
		ExtID string `json:"extId"`
	}
	if err := a.do(ctx, http.MethodPost, corePath+"/"+url.PathEscape(client.ExtID)+"/policies",
		map[string]any{"name": "bench-reuse", "policyType": "OTPCardPolicy",
			"parameters": map[string]string{"cellReuse": "true"}},
		http.StatusCreated, &policy); err != nil {
		return nil, fmt.Errorf("seed policy: %w", err)
	}
	s := &seed{client: client.ExtID, policy: policy.ExtID, workers: make([][]*benchUser, workers)}
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
func seedUser(ctx context.Context, a *api, s *seed, loginID string) (*benchUser, error) {
	var u struct {
		ExtID string `json:"extId"`
	}
	if err := a.do(ctx, http.MethodPost, corePath+"/"+url.PathEscape(s.client)+"/users",
		map[string]any{"loginId": loginID}, http.StatusCreated, &u); err != nil {
		return nil, fmt.Errorf("seed user: %w", err)
	}
	var cj cardJSON
	if err := a.do(ctx, http.MethodPost, a.cardsPath(s.client, u.ExtID),
		map[string]any{"policyExtId": s.policy, "stateName": "active"}, http.StatusCreated, &cj); err != nil {
		return nil, fmt.Errorf("seed card: %w", err)
	}
	c, err := cardFrom(cj)
	if err != nil {
		return nil, err
	}
	return &benchUser{extID: u.ExtID, card: c}, nil
}
