package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Credentials. A cluster shares one token: every node's embedded NATS server asks it of
// clients and routes, and every node presents it. It lives in HOME/cluster/token (mode 0600,
// the directory 0700), made on first use; a node that joins with a token in its --join URL
// keeps that one instead, so the cluster's nodes end up sharing it.

// tokenLen is the token's length in bytes before hex encoding.
const tokenLen = 24

// TokenPath is where home keeps the cluster token.
func TokenPath(home string) string { return filepath.Join(home, "cluster", "token") }

// LoadToken returns home's cluster token, making one (random, 0600) on first use.
func LoadToken(home string) (string, error) {
	p := TokenPath(home)
	b, err := os.ReadFile(p)
	if err == nil {
		tok := strings.TrimSpace(string(b))
		if err := validToken(tok); err != nil {
			return "", fmt.Errorf("cluster: %s: %w", p, err)
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("cluster: %s is readable by others (mode %v): chmod 600 it", p, fi.Mode().Perm())
		}
		return tok, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("cluster: %w", err)
	}
	raw := make([]byte, tokenLen)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("cluster: token: %w", err)
	}
	tok := hex.EncodeToString(raw)
	return tok, SaveToken(home, tok)
}

// SaveToken writes tok as home's cluster token (0600).
func SaveToken(home, tok string) error {
	if err := validToken(tok); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	p := TokenPath(home)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(tok+"\n"), 0o600); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return nil
}

// validToken accepts what a URL's user part carries without escaping.
func validToken(tok string) error {
	if len(tok) < 16 || len(tok) > 256 {
		return fmt.Errorf("a cluster token is 16 to 256 characters, this one has %d", len(tok))
	}
	for _, c := range tok {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return fmt.Errorf("a cluster token has letters, digits, '-' and '_' only")
		}
	}
	return nil
}

// JoinURL is what `orbital cluster token` prints and `--join` takes: nats://TOKEN@HOST:PORT.
func JoinURL(addr, tok string) string {
	return (&url.URL{Scheme: "nats", User: url.User(tok), Host: addr}).String()
}

// ParseJoin splits a --join URL into the server address (nats://HOST:PORT, or tls://) and the
// token it carries ("" when none).
func ParseJoin(s string) (server, tok string, err error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", "", fmt.Errorf("--join %q: %w", s, err)
	}
	if u.Scheme != "nats" && u.Scheme != "tls" {
		return "", "", fmt.Errorf("--join %q: want nats://[TOKEN@]HOST:PORT (from orbital cluster token)", s)
	}
	if _, _, err := net.SplitHostPort(u.Host); err != nil {
		return "", "", fmt.Errorf("--join %q: %w", s, err)
	}
	if u.User != nil {
		tok = u.User.Username()
		if err := validToken(tok); err != nil {
			return "", "", fmt.Errorf("--join: %w", err)
		}
	}
	return u.Scheme + "://" + u.Host, tok, nil
}

// Loopback reports whether every address host names is a loopback one: only then does the
// cluster run without TLS.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
