// Package webhook notifies an external endpoint of every domain event (NIST SP 800-63B asks that
// users learn when an authenticator is issued or replaced): a JSON POST signed with
// HMAC-SHA-256. It runs as an event subscriber, so it never blocks a request; a failed delivery is
// retried by the dispatcher with backoff, in order.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/otpcard/otpcard/application/outbox"
	"github.com/otpcard/otpcard/domain/event"
)

// Header names of a delivery.
const (
	// SignatureHeader carries "sha256=" + hex(HMAC-SHA-256(secret, timestamp + "." + body)).
	SignatureHeader = "X-Otpcard-Signature"
	// TimestampHeader carries the Unix time of the delivery, bound into the signature so that
	// receivers can refuse replays.
	TimestampHeader = "X-Otpcard-Timestamp"
	// EventIDHeader carries the event's id, stable across retries, for deduplication.
	EventIDHeader = "X-Otpcard-Event-Id"
)

// MinSecretLength is the shortest signing secret accepted.
const MinSecretLength = 32

// Notifier posts events to one URL.
type Notifier struct {
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

// New builds a notifier; the secret must hold at least MinSecretLength bytes.
func New(url string, secret []byte, client *http.Client) (*Notifier, error) {
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("webhook secret must be at least %d bytes", MinSecretLength)
	}
	if client == nil {
		// A transport of its own: Close can then drop its idle connections without touching
		// anyone else's.
		client = &http.Client{Timeout: 5 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return &Notifier{url: url, secret: append([]byte(nil), secret...), client: client, now: time.Now}, nil
}

// Close drops the notifier's idle keep-alive connections to the receiver (and the goroutines
// that serve them); call it once the dispatcher has stopped.
func (n *Notifier) Close() { n.client.CloseIdleConnections() }

// Name is the notifier's position in the event log.
func (n *Notifier) Name() string { return "webhook" }

// payload is the JSON a receiver gets.
type payload struct {
	ID              int64             `json:"id"`
	Type            string            `json:"type"`
	Time            string            `json:"time"`
	Actor           actor             `json:"actor"`
	ClientExtID     string            `json:"clientExtId,omitempty"`
	UserExtID       string            `json:"userExtId,omitempty"`
	CredentialExtID string            `json:"credentialExtId,omitempty"`
	PolicyExtID     string            `json:"policyExtId,omitempty"`
	Version         int32             `json:"version"`
	RequestID       string            `json:"requestId,omitempty"`
	Data            map[string]string `json:"data,omitempty"`
}

type actor struct {
	Subject string `json:"subject"`
	Mode    string `json:"mode"`
}

// Handle posts one event; any answer but 2xx is an error, and the event comes again later.
func (n *Notifier) Handle(ctx context.Context, e event.Stored) error {
	body, err := json.Marshal(payload{ID: e.ID, Type: string(e.Type), Time: e.Time.UTC().Format(time.RFC3339Nano),
		Actor: actor{e.Actor.Subject, e.Actor.Mode}, ClientExtID: e.ClientExtID, UserExtID: e.UserExtID,
		CredentialExtID: e.CredentialExt, PolicyExtID: e.PolicyExtID, Version: e.Version,
		RequestID: e.RequestID, Data: e.Data})
	if err != nil {
		return fmt.Errorf("webhook event %d: %w", e.ID, err)
	}
	ts := strconv.FormatInt(n.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook event %d: %w", e.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "otpcard-webhook")
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(EventIDHeader, strconv.FormatInt(e.ID, 10))
	req.Header.Set(SignatureHeader, Sign(n.secret, ts, body))
	resp, err := n.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook event %d: %w", e.ID, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook event %d: the receiver answered %d", e.ID, resp.StatusCode)
	}
	return nil
}

// Sign computes the signature header value for a body sent at timestamp ts.
func Sign(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a delivery's signature in constant time; receivers written in Go can use it.
func Verify(secret []byte, ts string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature))
}

var _ outbox.Subscriber = (*Notifier)(nil)
