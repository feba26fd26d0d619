package main

import (
	"crypto/ed25519"
	"fmt"
	"io"

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
	priv, _, err := publisherKey(*home, *keyFile, stderr)
	if err != nil {
		return fail(stderr, "sign", err)
	}
	pkg, dst, err := registry.ReadPackage(fs.Arg(0))
	if err == nil {
		err = registry.Sign(pkg.Manifest, priv)
	}
	if *out != "" {
		dst = *out
	}
	if err == nil {
		err = registry.WriteArchive(pkg, dst)
	}
	if err != nil {
		return fail(stderr, "sign", err)
	}
	fmt.Fprintf(stdout, "signed %s by %s -> %s\n", pkg.Manifest.ID(), pkg.Manifest.Publisher, dst)
	return 0
}

// publisherKey loads the publisher key (--key, else the home's), creating the home's on first
// use and saying so.
func publisherKey(homeFlag, keyFile string, stderr io.Writer) (ed25519.PrivateKey, string, error) {
	if keyFile == "" {
		home, err := orbitalHome(homeFlag)
		if err != nil {
			return nil, "", err
		}
		keyFile = registry.DefaultKeyPath(home)
	}
	priv, created, err := registry.LoadOrCreateKey(keyFile)
	if created {
		fmt.Fprintf(stderr, "orbital: created publisher key %s (public key %s)\n", keyFile, registry.PublicKeyString(priv.Public().(ed25519.PublicKey)))
	}
	return priv, keyFile, err
}
