package main

import (
	"fmt"
	"io"

	"github.com/orbital/orbital/registry"
)

func init() {
	register(verb{
		Name:  "publish",
		Usage: "publish --to URL [--key FILE] PACKAGE.tar.gz|DIR",
		Short: "sign (if needed) and upload a package to a registry server",
		Run:   publishVerb,
	})
}

func publishVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("publish", stderr)
	to := fs.String("to", "", "registry server URL (http://127.0.0.1:7070)")
	home := fs.String("home", "", "Orbital home (default $ORBITAL_HOME); the default key lives in HOME/keys")
	keyFile := fs.String("key", "", "private key to sign an unsigned package with (default HOME/keys/publisher.key)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *to == "" || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "orbital publish: usage: orbital publish --to URL PACKAGE.tar.gz|DIR")
		return exitUsage
	}
	pkg, _, err := registry.ReadPackage(fs.Arg(0))
	if err != nil {
		return fail(stderr, "publish", err)
	}
	if pkg.Manifest.Signature == "" {
		priv, _, err := publisherKey(*home, *keyFile, stderr)
		if err != nil {
			return fail(stderr, "publish", err)
		}
		if err := registry.Sign(pkg.Manifest, priv); err != nil {
			return fail(stderr, "publish", err)
		}
	} else if err := registry.VerifySignature(pkg.Manifest); err != nil {
		return fail(stderr, "publish", err)
	}
	b, err := pkg.Archive()
	if err != nil {
		return fail(stderr, "publish", err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	rec, err := registry.Publish(ctx, *to, b, nil)
	if err != nil {
		return fail(stderr, "publish", err)
	}
	fmt.Fprintf(stdout, "published %s by %s to %s\n", rec.ID(), rec.Publisher, *to)
	return 0
}
