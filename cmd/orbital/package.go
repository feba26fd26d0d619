package main

import (
	"crypto/ed25519"
	"fmt"

	"github.com/orbital/orbital/registry"
)

// The package verbs: orbital pack, sign and publish.

func packVerb(c *command, args []string) int {
	out := c.String("o", "", "output file (default NAME-VERSION.tar.gz in the current directory)")
	if code, ok := c.parse(args, 1, 1); !ok {
		return code
	}
	pkg, dst, err := registry.Pack(c.Arg(0), *out)
	if err != nil {
		return c.regFail(err)
	}
	fmt.Fprintf(c.stdout, "packed %s (%s, entry %s, %d extra files) -> %s\n", pkg.Manifest.ID(), pkg.Manifest.Kind, pkg.Manifest.EntryDigest, len(pkg.Files), dst)
	return 0
}

func signVerb(c *command, args []string) int {
	keyFile := c.withHome().String("key", "", "private key file (default HOME/keys/publisher.key, created if missing)")
	out := c.String("o", "", "write the signed package here (default: in place, or NAME-VERSION.tar.gz for a DIR)")
	if code, ok := c.parse(args, 1, 1); !ok {
		return code
	}
	priv, _, err := c.publisherKey(*keyFile)
	if err != nil {
		return c.regFail(err)
	}
	m, dst, err := registry.SignPackage(c.Arg(0), *out, priv)
	if err != nil {
		return c.regFail(err)
	}
	fmt.Fprintf(c.stdout, "signed %s by %s -> %s\n", m.ID(), m.Publisher, dst)
	return 0
}

func publishVerb(c *command, args []string) int {
	to := c.String("to", "", "registry server URL (http://127.0.0.1:7070)")
	keyFile := c.withHome().String("key", "", "private key to sign an unsigned package with (default HOME/keys/publisher.key)")
	if code, ok := c.parse(args, 1, 1); !ok {
		return code
	}
	if *to == "" {
		c.Usage()
		return exitUsage
	}
	ctx, cancel := signalContext()
	defer cancel()
	rec, err := registry.PublishPackage(ctx, *to, c.Arg(0), func() (ed25519.PrivateKey, error) {
		priv, _, err := c.publisherKey(*keyFile)
		return priv, err
	})
	if err != nil {
		return c.regFail(err)
	}
	fmt.Fprintf(c.stdout, "published %s by %s to %s\n", rec.ID(), rec.Publisher, *to)
	return 0
}
