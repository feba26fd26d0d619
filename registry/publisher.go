package registry

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// What orbital pack, sign and publish share: a package read from a file or packed from a
// directory, the publisher's key, and writing the result.

// DefaultKeyPath is the publisher key of home that sign and publish use without --key.
func DefaultKeyPath(home string) string { return filepath.Join(home, "keys", "publisher.key") }

// ReadPackage reads a package file (.tar.gz from orbital pack), or packs a module directory.
// It returns where a signed or packed copy goes by default: the file itself, or
// NAME-VERSION.tar.gz in the current directory for a directory.
func ReadPackage(src string) (pkg *Package, dst string, err error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, "", err
	}
	if st.IsDir() {
		if pkg, err = PackDir(src); err != nil {
			return nil, "", err
		}
		return pkg, pkg.Manifest.Name + "-" + pkg.Manifest.Version + ".tar.gz", nil
	}
	if !strings.HasSuffix(src, ".tar.gz") && !strings.HasSuffix(src, ".tgz") {
		return nil, "", fmt.Errorf("%s: sign a package (.tar.gz from orbital pack) or a module directory: a bare .wasm has no manifest to carry the signature", src)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, "", err
	}
	if pkg, err = LoadPackage(data, src); err != nil {
		return nil, "", err
	}
	return pkg, src, nil
}

// LoadOrCreateKey loads the private key at path, creating it first when it does not exist
// (created says so, for the user to hear about their new key).
func LoadOrCreateKey(path string) (priv ed25519.PrivateKey, created bool, err error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		priv, err := GenerateKey(path)
		return priv, err == nil, err
	}
	priv, err = LoadKey(path)
	return priv, false, err
}

// WriteArchive writes pkg's archive to path through a temporary file and a rename.
func WriteArchive(pkg *Package, path string) error {
	b, err := pkg.Archive()
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b, 0o644)
}

// Pack packs module directory dir and writes the archive to dst (default
// NAME-VERSION.tar.gz in the current directory); it returns the package and where it went.
func Pack(dir, dst string) (*Package, string, error) {
	pkg, err := PackDir(dir)
	if err != nil {
		return nil, "", err
	}
	if dst == "" {
		dst = pkg.Manifest.Name + "-" + pkg.Manifest.Version + ".tar.gz"
	}
	return pkg, dst, WriteArchive(pkg, dst)
}

// SignPackage signs the package at src (ReadPackage) with priv and writes it to dst (default:
// ReadPackage's); it returns the signed manifest and where it went.
func SignPackage(src, dst string, priv ed25519.PrivateKey) (*Manifest, string, error) {
	pkg, def, err := ReadPackage(src)
	if err != nil {
		return nil, "", err
	}
	if dst == "" {
		dst = def
	}
	if err := Sign(pkg.Manifest, priv); err != nil {
		return nil, "", err
	}
	return pkg.Manifest, dst, WriteArchive(pkg, dst)
}

// PublishPackage uploads the package at src (ReadPackage) to the registry server at url. An
// unsigned package is signed first with the key key returns; a signed one is checked.
func PublishPackage(ctx context.Context, url, src string, key func() (ed25519.PrivateKey, error)) (*Record, error) {
	pkg, _, err := ReadPackage(src)
	if err != nil {
		return nil, err
	}
	if pkg.Manifest.Signature == "" {
		priv, err := key()
		if err == nil {
			err = Sign(pkg.Manifest, priv)
		}
		if err != nil {
			return nil, err
		}
	} else if err := VerifySignature(pkg.Manifest); err != nil {
		return nil, err
	}
	b, err := pkg.Archive()
	if err != nil {
		return nil, err
	}
	return Publish(ctx, url, b, nil)
}
