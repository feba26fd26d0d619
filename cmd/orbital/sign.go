package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/orbital/orbital/registry"
)

func init() {
	register(verb{
		Name:  "sign",
		Usage: "sign [--key FILE] [-o OUT] PACKAGE.tar.gz|DIR",
		Short: "sign a package with your ed25519 publisher key (created on first use)",
		Run:   signVerb,
	})
}

func signVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sign", stderr)
	home := fs.String("home", "", "Orbital home (default $ORBITAL_HOME); the default key lives in HOME/keys")
	keyFile := fs.String("key", "", "private key file (default HOME/keys/publisher.key, created if missing)")
	out := fs.String("o", "", "write the signed package here (default: in place, or NAME-VERSION.tar.gz for a DIR)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "orbital sign: want one PACKAGE.tar.gz or module DIR; usage: orbital sign [--key FILE] [-o OUT] PACKAGE")
		return exitUsage
	}
	priv, _, err := loadOrCreateKey(*home, *keyFile, stderr)
	if err != nil {
		return fail(stderr, "sign", err)
	}
	pkg, dst, err := loadForSigning(fs.Arg(0), *out)
	if err != nil {
		return fail(stderr, "sign", err)
	}
	if err := registry.Sign(pkg.Manifest, priv); err != nil {
		return fail(stderr, "sign", err)
	}
	b, err := pkg.Archive()
	if err == nil {
		err = writeFileReplacing(dst, b)
	}
	if err != nil {
		return fail(stderr, "sign", err)
	}
	fmt.Fprintf(stdout, "signed %s by %s -> %s\n", pkg.Manifest.ID(), pkg.Manifest.Publisher, dst)
	return 0
}

// loadForSigning reads a package file, or packs a module directory, and says where the signed
// result goes.
func loadForSigning(src, out string) (*registry.Package, string, error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, "", err
	}
	var pkg *registry.Package
	dst := out
	if st.IsDir() {
		if pkg, err = registry.PackDir(src); err != nil {
			return nil, "", err
		}
		if dst == "" {
			dst = pkg.Manifest.Name + "-" + pkg.Manifest.Version + ".tar.gz"
		}
		return pkg, dst, nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, "", err
	}
	if !strings.HasSuffix(src, ".tar.gz") && !strings.HasSuffix(src, ".tgz") {
		return nil, "", fmt.Errorf("%s: sign a package (.tar.gz from orbital pack) or a module directory: a bare .wasm has no manifest to carry the signature", src)
	}
	if pkg, err = registry.LoadPackage(data, src); err != nil {
		return nil, "", err
	}
	if dst == "" {
		dst = src
	}
	return pkg, dst, nil
}

// loadOrCreateKey loads the publisher key, creating the default one on first use.
func loadOrCreateKey(home, keyFile string, stderr io.Writer) (ed25519.PrivateKey, string, error) {
	if keyFile == "" {
		h, err := orbitalHome(home)
		if err != nil {
			return nil, "", err
		}
		keyFile = defaultKeyPath(h)
		if _, err := os.Stat(keyFile); errors.Is(err, os.ErrNotExist) {
			priv, err := registry.GenerateKey(keyFile)
			if err != nil {
				return nil, "", err
			}
			fmt.Fprintf(stderr, "orbital: created publisher key %s (public key %s)\n", keyFile, registry.PublicKeyString(priv.Public().(ed25519.PublicKey)))
			return priv, keyFile, nil
		}
	}
	priv, err := registry.LoadKey(keyFile)
	return priv, keyFile, err
}

// writeFileReplacing writes b to path through a temporary file and a rename.
func writeFileReplacing(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
