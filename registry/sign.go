package registry

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/orbital/orbital/internal/tomlguard"
)

// Errors of the integrity checks.
var (
	ErrDigest       = errors.New("registry: digest mismatch")
	ErrBadSignature = errors.New("registry: bad signature")
	ErrUnsigned     = errors.New("registry: package is not signed")
	ErrUntrusted    = errors.New("registry: publisher is not trusted")
)

// Digest returns "sha256:<hex>" of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func checkDigest(what string, b []byte, want string) error {
	if got := Digest(b); got != want {
		return fmt.Errorf("%w: %s has %s, the manifest says %s (the file was corrupted or tampered with)", ErrDigest, what, got, want)
	}
	return nil
}

// PublicKeyString formats a public key as "ed25519:<base64>".
func PublicKeyString(pub ed25519.PublicKey) string {
	return "ed25519:" + base64.StdEncoding.EncodeToString(pub)
}

// ParsePublicKey parses "ed25519:<base64>".
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), "ed25519:")
	if !ok {
		return nil, fmt.Errorf("publisher key %q: want ed25519:<base64>", s)
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("publisher key %q: want %d bytes of base64", s, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

const privPrefix = "ed25519-private:"

// GenerateKey writes a new private key file (mode 0600; refuses to overwrite) and returns it.
func GenerateKey(path string) (ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(f, "%s%s\n# public key: %s\n", privPrefix, base64.StdEncoding.EncodeToString(priv.Seed()), PublicKeyString(pub))
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return priv, f.Close()
}

// LoadKey reads a private key file written by GenerateKey.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	seed, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(line), privPrefix))
	if !strings.HasPrefix(line, privPrefix) || err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: not an Orbital private key (want a line %s<base64 seed>)", path, privPrefix)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// Sign sets the manifest's Publisher and Signature with priv. EntryDigest must be set.
func Sign(m *Manifest, priv ed25519.PrivateKey) error {
	if m.EntryDigest == "" {
		return errors.New("registry: sign: the manifest has no entry_digest; pack the module first")
	}
	m.Publisher = PublicKeyString(priv.Public().(ed25519.PublicKey))
	m.Signature = ""
	m.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, m.SigningBytes()))
	return nil
}

// VerifySignature checks the manifest's signature against its publisher key. An unsigned
// manifest returns ErrUnsigned.
func VerifySignature(m *Manifest) error {
	if m.Signature == "" && m.Publisher == "" {
		return fmt.Errorf("%w: %s has no publisher signature", ErrUnsigned, m.ID())
	}
	pub, err := ParsePublicKey(m.Publisher)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadSignature, m.ID(), err)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || !ed25519.Verify(pub, m.SigningBytes(), sig) {
		return fmt.Errorf("%w: %s: the signature does not match publisher %s (the package was altered after signing, or signed with another key)", ErrBadSignature, m.ID(), m.Publisher)
	}
	return nil
}

// Trust is the set of publisher keys this home trusts, kept in registry/trusted.toml:
//
//	keys = ["ed25519:...", ...]
type Trust struct {
	path string
	Keys []string `toml:"keys"`
}

// LoadTrust reads the trust file (a missing file trusts nobody; one over tomlguard's bounds is
// refused before it is decoded).
func LoadTrust(path string) (*Trust, error) {
	t := &Trust{path: path}
	b, err := tomlguard.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, err
	}
	md, err := toml.Decode(string(b), t)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("%s: unknown key %s (want only keys = [...])", path, und[0])
	}
	for _, k := range t.Keys {
		if _, err := ParsePublicKey(k); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	return t, nil
}

// Trusted reports whether key is in the list.
func (t *Trust) Trusted(key string) bool {
	for _, k := range t.Keys {
		if k == key {
			return true
		}
	}
	return false
}

// Add trusts key and writes the file atomically.
func (t *Trust) Add(key string) error {
	if _, err := ParsePublicKey(key); err != nil {
		return err
	}
	if t.Trusted(key) {
		return nil
	}
	t.Keys = append(t.Keys, key)
	var b bytes.Buffer
	b.WriteString("# Publisher keys whose packages this Orbital home accepts from remote registries.\n")
	if err := toml.NewEncoder(&b).Encode(t); err != nil {
		return err
	}
	return writeFileAtomic(t.path, b.Bytes(), 0o644)
}

// writeFileAtomic writes data to a temporary file next to path, fsyncs it, renames it over
// path and fsyncs the directory.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
