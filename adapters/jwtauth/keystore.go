package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
)

// JWKS URL refresh policy.
const (
	// jwksMaxAge: keys older than this are refetched on the next verification, so that keys the
	// identity provider withdrew stop being accepted.
	jwksMaxAge = 5 * time.Minute
	// jwksMinInterval: no fetch starts less than this after the previous one, whatever tokens
	// arrive.
	jwksMinInterval = time.Minute
	// jwksFetchTimeout bounds one fetch.
	jwksFetchTimeout = 5 * time.Second
	// jwksMaxBytes bounds the size of a fetched JWKS.
	jwksMaxBytes = 1 << 20
)

// errUnknownKID: the token names a kid that no key carries.
var errUnknownKID = errors.New("unknown kid")

// keyStore holds the keys of the JWKS file and of the JWKS URL.
type keyStore struct {
	static []publicKey
	remote *remoteKeys // nil without a JWKS URL
}

func newKeyStore(ctx context.Context, file, rawURL string, client *http.Client, now func() time.Time) (*keyStore, error) {
	ks := &keyStore{}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read jwks file: %w", err)
		}
		if ks.static, err = parseJWKS(data); err != nil {
			return nil, fmt.Errorf("jwks file %s: %w", file, err)
		}
	}
	if rawURL != "" {
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, errors.New("jwks url: want an absolute http or https URL")
		}
		if client == nil {
			client = &http.Client{Timeout: jwksFetchTimeout}
		}
		r := &remoteKeys{url: u.String(), client: client, now: now}
		keys, err := r.fetch(ctx)
		if err != nil {
			return nil, err
		}
		r.keys, r.fetchedAt, r.lastAttempt = keys, now(), now()
		ks.remote = r
	}
	return ks, nil
}

// key returns the key that verifies a token signed with alg naming kid (empty: no kid). A token
// with a kid needs the key of that kid; one without needs the only key fitting alg.
func (ks *keyStore) key(ctx context.Context, kid, alg string) (any, error) {
	var fetchErr error
	if ks.remote != nil && ks.remote.stale() {
		fetchErr = ks.remote.refresh(ctx)
	}
	key, err := pick(ks.all(), kid, alg)
	if errors.Is(err, errUnknownKID) && ks.remote != nil {
		if err := ks.remote.refresh(ctx); err != nil {
			fetchErr = err
		}
		key, err = pick(ks.all(), kid, alg)
	}
	if err != nil && fetchErr != nil {
		return nil, fmt.Errorf("%w (jwks refresh: %w)", err, fetchErr)
	}
	return key, err
}

func (ks *keyStore) all() []publicKey {
	if ks.remote == nil {
		return ks.static
	}
	return append(ks.remote.snapshot(), ks.static...)
}

func pick(keys []publicKey, kid, alg string) (any, error) {
	var named, fitting []publicKey
	for _, k := range keys {
		if kid != "" && k.kid != kid {
			continue
		}
		named = append(named, k)
		if k.fits(alg) {
			fitting = append(fitting, k)
		}
	}
	switch {
	case kid != "" && len(named) == 0:
		return nil, errUnknownKID
	case len(fitting) == 0:
		return nil, fmt.Errorf("no key fits algorithm %s", alg)
	case len(fitting) > 1:
		return nil, fmt.Errorf("several keys fit algorithm %s", alg)
	}
	return fitting[0].key, nil
}

// remoteKeys caches the keys of a JWKS URL. Concurrent refreshes share one fetch.
type remoteKeys struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu          sync.Mutex
	keys        []publicKey
	fetchedAt   time.Time
	lastAttempt time.Time
	inflight    chan struct{} // closed when the running fetch ends; nil when none runs
}

func (r *remoteKeys) snapshot() []publicKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]publicKey(nil), r.keys...)
}

func (r *remoteKeys) stale() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now().Sub(r.fetchedAt) >= jwksMaxAge
}

// refresh fetches the keys again unless a fetch started less than jwksMinInterval ago; when a
// fetch is running it waits for that one. A failed fetch keeps the previous keys.
func (r *remoteKeys) refresh(ctx context.Context) error {
	r.mu.Lock()
	if ch := r.inflight; ch != nil {
		r.mu.Unlock()
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if r.now().Sub(r.lastAttempt) < jwksMinInterval {
		r.mu.Unlock()
		return nil
	}
	r.lastAttempt = r.now()
	ch := make(chan struct{})
	r.inflight = ch
	r.mu.Unlock()

	// The fetch serves every waiting caller, so one caller giving up must not cancel it.
	keys, err := r.fetch(context.WithoutCancel(ctx))

	r.mu.Lock()
	if err == nil {
		r.keys, r.fetchedAt = keys, r.now()
	}
	r.inflight = nil
	close(ch)
	r.mu.Unlock()
	return err
}

func (r *remoteKeys) fetch(ctx context.Context) ([]publicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch jwks: status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	if len(data) > jwksMaxBytes {
		return nil, fmt.Errorf("fetch jwks: larger than %d bytes", jwksMaxBytes)
	}
	keys, err := parseJWKS(data)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	return keys, nil
}
