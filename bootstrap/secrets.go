package bootstrap

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// File names of the secrets generated into the data directory.
const (
	jwtSecretFile  = "jwt-hs256-secret"
	cellPepperFile = "cell-pepper"
)

// EnsureSecrets fills in the secrets the configuration lacks: the HS256 secret when no key
// source is configured, and the cell pepper in embedded mode. Generated secrets are kept in the
// data directory (mode 0600) and read back on the next start, so tokens and cards stay valid.
func (c *Config) EnsureSecrets() error {
	if len(c.JWTHS256Secret) == 0 && c.JWTJWKSFile == "" && c.JWTJWKSURL == "" {
		s, err := c.loadOrCreate(jwtSecretFile, func(b []byte) string { return hex.EncodeToString(b) })
		if err != nil {
			return fmt.Errorf("OTPCARD_JWT_HS256_SECRET: %w", err)
		}
		c.JWTHS256Secret = []byte(s)
	}
	if len(c.CellPepper) == 0 {
		s, err := c.loadOrCreate(cellPepperFile, base64.StdEncoding.EncodeToString)
		if err != nil {
			return fmt.Errorf("OTPCARD_CELL_PEPPER: %w", err)
		}
		p, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(p) < 32 {
			return fmt.Errorf("OTPCARD_CELL_PEPPER: %s is damaged; restore it from a backup", filepath.Join(c.DataDir, cellPepperFile))
		}
		c.CellPepper = p
	}
	return nil
}

// loadOrCreate reads a secret file, or writes 32 fresh random bytes encoded by enc.
func (c *Config) loadOrCreate(name string, enc func([]byte) string) (string, error) {
	path := filepath.Join(c.DataDir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read generated secret: %w", err)
	}
	if err := os.MkdirAll(c.DataDir, 0o711); err != nil {
		return "", fmt.Errorf("create data directory: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	value := enc(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process wrote it first
		return c.loadOrCreate(name, enc)
	}
	if err != nil {
		return "", fmt.Errorf("write generated secret: %w", err)
	}
	if _, err := f.WriteString(value + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("write generated secret: %w", err)
	}
	return value, f.Close()
}
