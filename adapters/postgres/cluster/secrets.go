package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// readPassword reads the superuser password kept at path.
func readPassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	pw := strings.TrimSpace(string(b))
	if pw == "" {
		return "", fmt.Errorf("cluster: password file %s is empty", path)
	}
	return pw, nil
}

// loadOrCreatePassword returns the password kept at path, creating it (32 random bytes, hex,
// mode 0600) when missing.
func loadOrCreatePassword(path string) (string, error) {
	pw, err := readPassword(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return pw, err
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("cluster: generate password: %w", err)
	}
	pw = hex.EncodeToString(buf)
	if err := writePrivate(path, pw+"\n"); err != nil {
		return "", err
	}
	return pw, nil
}

// writePrivate creates path (which must not exist) with mode 0600 and writes content.
func writePrivate(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("cluster: create %s: %w", path, err)
	}
	if _, err := f.WriteString(content); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return fmt.Errorf("cluster: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("cluster: write %s: %w", path, err)
	}
	return nil
}

// readPort returns the port remembered at path, or 0.
func readPort(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	p, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || p <= 0 || p > 65535 {
		return 0
	}
	return p
}

// writePort remembers port at path for the next start.
func writePort(path string, port int) error {
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	if err := writePrivate(tmp, strconv.Itoa(port)+"\n"); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
