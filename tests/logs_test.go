package tests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/otpcard/otpcard/tests/client"
)

// syncBuffer collects logs written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLogsCarryTraceIDsAndNoSecrets drives create, replace, challenge and login with good and
// bad tokens at debug level, then reads every log line: JSON with trace ids on request lines, and
// never a token, a cell or a password.
func TestLogsCarryTraceIDsAndNoSecrets(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	s := startServiceWith(t, logs, map[string]string{"OTPCARD_LOG_LEVEL": "debug"})
	tok := rootToken(t)
	api := s.api.As(tok)
	f := s.newFixture(t, "logs")
	newCells := cellsOf(t, api.ReplaceCard(t, f.CardKey, client.CredentialReplace{ModificationComment: "lost"}).Want(t, http.StatusOK).OTP)
	label := challenge(t, api, f.UserKey())
	api.Login(t, f.UserKey(), client.LoginRequest{Challenge: label, Password: answer(t, newCells, label)})
	badTokens := []string{wrongSecretToken(t), algNoneToken(t, claimsFor("x", "Root"))}
	for _, bad := range badTokens {
		s.api.As(bad).ReplaceCard(t, f.CardKey, client.CredentialReplace{}).WantStatus(t, http.StatusUnauthorized)
	}
	self := selfToken(t, f.User, 0)
	s.api.Self(self).GetCard(t, f.CardKey)

	secrets := append([]string{tok, self}, badTokens...)
	secrets = append(secrets, strings.Join(f.cells, ""), strings.Join(newCells, ""))
	for _, c := range append(f.cells, newCells...) {
		if strings.ContainsAny(c, "ABCDEFGHJKMNPQRSTVWXYZ") { // all-digit cells could match a number
			secrets = append(secrets, c)
		}
	}
	text := logs.String()
	var scrubbed strings.Builder // the records without their timestamps, where a cell like 918Z could hide by chance
	requests := 0
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		delete(m, "time")
		rest, _ := json.Marshal(m)
		scrubbed.Write(rest)
		scrubbed.WriteByte('\n')
		if m["msg"] == "request" {
			requests++
			if id, _ := m["trace_id"].(string); len(id) != 32 {
				t.Errorf("request log line without a trace id: %s", line)
			}
		}
	}
	if requests < 8 {
		t.Fatalf("got %d request log lines, want one per request:\n%s", requests, text)
	}
	for _, sec := range secrets {
		if strings.Contains(scrubbed.String(), sec) {
			t.Errorf("the logs contain a secret %.12q...", sec)
		}
	}
}
