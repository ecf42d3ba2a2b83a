package console

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/console"
)

// OIDC is the console's sign-in through an OpenID Connect provider (API.md 12): authorization
// code with PKCE and a nonce; the ID token's claims are read like an admin token's (sub, roles,
// permissions, clients).
type OIDC struct {
	Issuer, ClientID, ClientSecret string
	// RedirectURL is where the provider sends the operator back: the console's callback.
	RedirectURL string
}

// oidcCookie carries a sign-in in progress between the redirect to the provider and its callback:
// the state, the nonce and the PKCE verifier, for ten minutes.
const oidcCookie = "__Host-otpcard-oidc"

// provider discovers the OpenID provider once, at the first sign-in (a provider that is down at
// the service's start must not stop it), and keeps it.
type provider struct {
	cfg  OIDC
	mu   sync.Mutex
	prov *oidc.Provider
}

func (p *provider) get(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.prov == nil {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second) // a slow provider must not hold every sign-in
		defer cancel()
		prov, err := oidc.NewProvider(ctx, p.cfg.Issuer)
		if err != nil {
			return nil, fmt.Errorf("discover the OpenID provider %s: %w", p.cfg.Issuer, err)
		}
		p.prov = prov
	}
	return p.prov, nil
}

func (p *provider) oauth(prov *oidc.Provider) oauth2.Config {
	return oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, Endpoint: prov.Endpoint(),
		RedirectURL: p.cfg.RedirectURL, Scopes: []string{oidc.ScopeOpenID, "profile"}}
}

// pending is a sign-in in progress, as the cookie holds it.
type pending struct {
	State, Nonce, Verifier string
}

// startOIDC sends the operator to the provider with a fresh state, nonce and PKCE challenge.
func (h *handler) startOIDC(c *gin.Context) {
	prov, err := h.oidc.get(c.Request.Context())
	if err != nil {
		h.failed(c, err)
		return
	}
	var p pending
	for _, v := range []*string{&p.State, &p.Nonce} {
		s, err := console.NewSecret()
		if err != nil {
			h.failed(c, err)
			return
		}
		*v = string(s)
	}
	p.Verifier = oauth2.GenerateVerifier()
	raw, _ := json.Marshal(p)
	http.SetCookie(c.Writer, &http.Cookie{Name: oidcCookie, Value: base64.RawURLEncoding.EncodeToString(raw), Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: 600})
	cfg := h.oidc.oauth(prov)
	c.Redirect(http.StatusFound, cfg.AuthCodeURL(p.State, oidc.Nonce(p.Nonce), oauth2.S256ChallengeOption(p.Verifier)))
}

// errOIDCState: the callback's state is not the one this browser was sent off with.
var errOIDCState = errors.New("the sign-in's state does not match")

// callback finishes a sign-in: the state must match the cookie's, the code is exchanged with the
// PKCE verifier, the ID token verified with its nonce, and a session starts for its claims.
func (h *handler) callback(c *gin.Context) {
	var p pending
	cookie, err := c.Cookie(oidcCookie)
	var raw []byte
	if err == nil {
		raw, err = base64.RawURLEncoding.DecodeString(cookie)
	}
	if err == nil {
		err = json.Unmarshal(raw, &p)
	}
	state := c.Query("state")
	if err != nil || p.State == "" || subtle.ConstantTimeCompare([]byte(state), []byte(p.State)) != 1 {
		h.problem(c, http.StatusBadRequest, "badSignIn", "badSignInText")
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: oidcCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, MaxAge: -1})
	if c.Query("error") != "" || c.Query("code") == "" {
		h.problem(c, http.StatusForbidden, "refused", "refusedText")
		return
	}
	ctx := c.Request.Context()
	grant, err := h.exchange(ctx, c.Query("code"), p)
	if err != nil {
		h.logger.Warn("console sign-in refused", "error", err.Error())
		h.problem(c, http.StatusForbidden, "refused", "refusedText")
		return
	}
	secret, session, err := h.signIn.Start(ctx, grant)
	if err != nil {
		h.failed(c, err)
		return
	}
	h.endOldSession(c)
	setSessionCookie(c, secret, session)
	c.Redirect(http.StatusSeeOther, "/console/")
}

// idClaims are the ID token's claims an operator's grant is read from, raw, so that they are read
// as an admin token's are: absent is none (for clients: every client), [] is an empty list, and
// null or anything but an array of strings refuses the sign-in.
type idClaims struct {
	Roles       json.RawMessage `json:"roles"`
	Permissions json.RawMessage `json:"permissions"`
	Clients     json.RawMessage `json:"clients"`
}

func (h *handler) exchange(ctx context.Context, code string, p pending) (console.Grant, error) {
	prov, err := h.oidc.get(ctx)
	if err != nil {
		return console.Grant{}, err
	}
	cfg := h.oidc.oauth(prov)
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return console.Grant{}, fmt.Errorf("exchange the code: %w", err)
	}
	rawID, ok := tok.Extra("id_token").(string)
	if !ok {
		return console.Grant{}, errors.New("the provider answered without an ID token")
	}
	id, err := prov.Verifier(&oidc.Config{ClientID: h.oidc.cfg.ClientID}).Verify(ctx, rawID)
	if err != nil {
		return console.Grant{}, fmt.Errorf("verify the ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(p.Nonce)) != 1 {
		return console.Grant{}, errors.New("the ID token's nonce is not this sign-in's")
	}
	var claims idClaims
	if err := id.Claims(&claims); err != nil {
		return console.Grant{}, fmt.Errorf("read the ID token's claims: %w", err)
	}
	if strings.TrimSpace(id.Subject) == "" {
		return console.Grant{}, errors.New("the ID token names no subject")
	}
	g := console.Grant{Subject: id.Subject}
	for _, c := range []struct {
		name string
		raw  json.RawMessage
		into *[]string
	}{{"roles", claims.Roles, &g.Roles}, {"permissions", claims.Permissions, &g.Permissions}, {"clients", claims.Clients, &g.Clients}} {
		if *c.into, err = access.ClaimList(c.name, c.raw); err != nil {
			return console.Grant{}, err
		}
	}
	return g, nil
}
