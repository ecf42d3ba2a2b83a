package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	appconsole "github.com/otpcard/otpcard/application/console"
	"github.com/otpcard/otpcard/domain/console"
)

// ConsoleStore keeps the console's sign-in links and sessions by the hashes of their secrets.
type ConsoleStore struct {
	db *bun.DB
}

// NewConsoleStore builds the store.
func NewConsoleStore(db *bun.DB) *ConsoleStore { return &ConsoleStore{db: db} }

var (
	_ appconsole.Links    = (*ConsoleStore)(nil)
	_ appconsole.Sessions = (*ConsoleStore)(nil)
)

// grantJSON is a grant as stored. Clients keeps null (every client) apart from [] (no client):
// an empty data room must never come back as an unrestricted one.
type grantJSON struct {
	Subject     string   `json:"sub"`
	Roles       []string `json:"roles,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
	Clients     []string `json:"clients"`
}

func grantOf(g console.Grant) grantJSON {
	return grantJSON{Subject: g.Subject, Roles: g.Roles, Permissions: g.Permissions, Clients: g.Clients}
}

func (g grantJSON) grant() console.Grant {
	return console.Grant{Subject: g.Subject, Roles: g.Roles, Permissions: g.Permissions, Clients: g.Clients}
}

type linkRow struct {
	bun.BaseModel `bun:"table:console_links"`

	SecretHash []byte    `bun:"secret_hash,pk"`
	Grant      grantJSON `bun:"grant_json,type:jsonb"`
	Created    time.Time `bun:"created"`
	Expires    time.Time `bun:"expires"`
	Used       bool      `bun:"used"`
}

type sessionRow struct {
	bun.BaseModel `bun:"table:console_sessions"`

	SecretHash []byte    `bun:"secret_hash,pk"`
	Grant      grantJSON `bun:"grant_json,type:jsonb"`
	CSRF       string    `bun:"csrf"`
	Created    time.Time `bun:"created"`
	Expires    time.Time `bun:"expires"`
}

// SaveLink stores a new link, and deletes the links that expired a day ago; see appconsole.Links.
func (s *ConsoleStore) SaveLink(ctx context.Context, hash []byte, l console.Link) error {
	r := linkRow{SecretHash: hash, Grant: grantOf(l.Grant), Created: l.Created.UTC(), Expires: l.Expires.UTC()}
	if _, err := s.db.NewInsert().Model(&r).Exec(ctx); err != nil {
		return fmt.Errorf("save console link: %w", translate(err))
	}
	_, err := s.db.NewDelete().Model((*linkRow)(nil)).Where("expires < ?", l.Created.UTC().Add(-24*time.Hour)).Exec(ctx)
	return translate(err)
}

// RedeemLink changes a link under its row lock; see appconsole.Links.
func (s *ConsoleStore) RedeemLink(ctx context.Context, hash []byte, fn func(context.Context, *console.Link) error) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var r linkRow
		err := tx.NewSelect().Model(&r).Where("secret_hash = ?", hash).For("UPDATE").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: unknown", console.ErrLinkRefused)
		}
		if err != nil {
			return translate(err)
		}
		l := console.Link{Grant: r.Grant.grant(), Created: r.Created, Expires: r.Expires, Used: r.Used}
		if err := fn(ctx, &l); err != nil {
			return err
		}
		_, err = tx.NewUpdate().Model((*linkRow)(nil)).Set("used = ?", l.Used).Where("secret_hash = ?", hash).Exec(ctx)
		return translate(err)
	})
}

// SaveSession stores a new session, and deletes the sessions that have ended; see
// appconsole.Sessions.
func (s *ConsoleStore) SaveSession(ctx context.Context, hash []byte, session console.Session) error {
	r := sessionRow{SecretHash: hash, Grant: grantOf(session.Grant), CSRF: string(session.CSRF),
		Created: session.Created.UTC(), Expires: session.Expires.UTC()}
	db := connOf(ctx, s.db)
	if _, err := db.NewInsert().Model(&r).Exec(ctx); err != nil {
		return fmt.Errorf("save console session: %w", translate(err))
	}
	_, err := db.NewDelete().Model((*sessionRow)(nil)).Where("expires < ?", session.Created.UTC()).Exec(ctx)
	return translate(err)
}

// Session returns a session; see appconsole.Sessions.
func (s *ConsoleStore) Session(ctx context.Context, hash []byte) (console.Session, error) {
	var r sessionRow
	err := s.db.NewSelect().Model(&r).Where("secret_hash = ?", hash).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return console.Session{}, console.ErrNoSession
	}
	if err != nil {
		return console.Session{}, translate(err)
	}
	return console.Session{Grant: r.Grant.grant(), CSRF: console.Secret(r.CSRF), Created: r.Created, Expires: r.Expires}, nil
}

// DeleteSession ends a session; see appconsole.Sessions.
func (s *ConsoleStore) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.db.NewDelete().Model((*sessionRow)(nil)).Where("secret_hash = ?", hash).Exec(ctx)
	return translate(err)
}
