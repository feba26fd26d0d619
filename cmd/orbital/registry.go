package main

import (
	"cmp"
	"crypto/ed25519"
	"fmt"
	"log"
	"net"
	"strings"
	"text/tabwriter"

	"github.com/orbital/orbital/registry"
)

// The registry verbs: orbital ls, info, rm, search, and registry serve, trust and key; the
// flags and error reporting the registry's verbs share (install.go and package.go too).

// withRegistry adds --home and --registry.
func (c *command) withRegistry() *command {
	c.withHome()
	c.remotes = &multiFlag{}
	c.Var(c.remotes, "registry", "registry server URL to use instead of config.toml's [registry] remotes (repeatable)")
	return c
}

// parseRegistry is parse, then opening the home's registry with the remotes --registry named.
func (c *command) parseRegistry(args []string, min, max int) (*registry.Registry, int, bool) {
	if code, ok := c.parse(args, min, max); !ok {
		return nil, code, false
	}
	home, err := c.homeDir()
	var reg *registry.Registry
	if err == nil {
		reg, err = registry.Open(home)
	}
	if err != nil {
		return nil, c.regFail(err), false
	}
	if len(*c.remotes) > 0 {
		reg.Remotes = *c.remotes
	}
	return reg, 0, true
}

// regFail prints a registry error, one line per line, and returns 2 when it is about the
// user's input (registry.IsBadInput), else 1.
func (c *command) regFail(err error) int {
	for _, line := range strings.Split(err.Error(), "\n") {
		c.failf(0, "%s", line)
	}
	if registry.IsBadInput(err) {
		return exitUsage
	}
	return 1
}

func registryServe(c *command, args []string) int {
	addr := c.String("addr", "127.0.0.1:7070", "address to listen on")
	requireTrusted := c.Bool("require-trusted", false, "accept publishes only from keys in DIR/registry/trusted.toml")
	if code, ok := c.parse(args, 1, 1); !ok {
		return code
	}
	reg, err := registry.Open(c.Arg(0))
	if err != nil {
		return c.regFail(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return c.regFail(err)
	}
	srv := &registry.Server{Reg: reg, RequireTrusted: *requireTrusted, Log: func(s string) { fmt.Fprintln(c.stderr, s) }}
	fmt.Fprintf(c.stdout, "orbital registry: serving %s on http://%s\n", reg.Home(), ln.Addr())
	ctx, cancel := signalContext()
	defer cancel()
	if err := srv.Serve(ctx, ln, log.New(c.stderr, "orbital registry: ", 0)); err != nil {
		return c.regFail(err)
	}
	return 0
}

func registryTrust(c *command, args []string) int {
	reg, code, ok := c.withRegistry().parseRegistry(args, 1, 1)
	if !ok {
		return code
	}
	tr, err := registry.LoadTrust(reg.TrustPath())
	if err == nil {
		err = tr.Add(c.Arg(0))
	}
	if err != nil {
		return c.failf(exitUsage, "%v", err)
	}
	fmt.Fprintf(c.stdout, "trusted %s (%s)\n", c.Arg(0), reg.TrustPath())
	return 0
}

func registryKey(c *command, args []string) int {
	c.withHome()
	keyFile := c.String("key", "", "private key file (default HOME/keys/publisher.key, created if missing)")
	if code, ok := c.parse(args, 0, 0); !ok {
		return code
	}
	priv, path, err := c.publisherKey(*keyFile)
	if err != nil {
		return c.regFail(err)
	}
	fmt.Fprintf(c.stdout, "%s\n", registry.PublicKeyString(priv.Public().(ed25519.PublicKey)))
	fmt.Fprintf(c.stderr, "(private key: %s)\n", path)
	return 0
}

// publisherKey loads the publisher key (keyFile, else the home's), creating the home's on
// first use and saying so.
func (c *command) publisherKey(keyFile string) (ed25519.PrivateKey, string, error) {
	if keyFile == "" {
		home, err := c.homeDir()
		if err != nil {
			return nil, "", err
		}
		keyFile = registry.DefaultKeyPath(home)
	}
	priv, created, err := registry.LoadOrCreateKey(keyFile)
	if created {
		fmt.Fprintf(c.stderr, "orbital: created publisher key %s (public key %s)\n", keyFile, registry.PublicKeyString(priv.Public().(ed25519.PublicKey)))
	}
	return priv, keyFile, err
}

func lsVerb(c *command, args []string) int {
	all := c.withRegistry().Bool("all", false, "list every installed version")
	reg, code, ok := c.parseRegistry(args, 0, -1)
	if !ok {
		return code
	}
	recs, err := reg.List(c.Arg(0))
	switch {
	case err != nil:
		return c.regFail(err)
	case len(recs) == 0 && c.NArg() > 0:
		return c.failf(1, "%s is not installed", c.Arg(0))
	case len(recs) == 0:
		return c.failf(0, "nothing installed yet (orbital install SOURCE)")
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tKIND\tSIGNED\tDESCRIPTION")
	for i, r := range recs {
		if *all || i == 0 || recs[i-1].Name != r.Name {
			signed := "no"
			if r.Signed {
				signed = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Version, r.Kind, signed, r.Description)
		}
	}
	tw.Flush()
	return 0
}

func rmVerb(c *command, args []string) int {
	force := c.withRegistry().Bool("force", false, "remove a library even though installed modules need it")
	reg, code, ok := c.parseRegistry(args, 1, -1)
	if !ok {
		return code
	}
	for _, a := range c.Args() {
		name, version, _ := strings.Cut(strings.TrimPrefix(a, "orbital://"), "@")
		removed, err := reg.Remove(name, version, *force)
		if err != nil {
			code = max(code, c.regFail(err))
			continue
		}
		for _, r := range removed {
			fmt.Fprintf(c.stdout, "removed %s\n", r.ID())
		}
	}
	return code
}

func searchVerb(c *command, args []string) int {
	n := c.withRegistry().Int("n", 20, "at most this many results")
	local := c.Bool("local", false, "search only the installed modules")
	reg, code, ok := c.parseRegistry(args, 1, -1)
	if !ok {
		return code
	}
	if *local {
		reg.Remotes = nil
	}
	ctx, cancel := signalContext()
	defer cancel()
	q := strings.Join(c.Args(), " ")
	hits, err := reg.SearchAll(ctx, q, *n, registry.FetchOptions{Retries: -1})
	if err != nil {
		c.fail(err) // a remote failing does not hide local hits
	}
	if len(hits) == 0 {
		return c.failf(1, "nothing matches %q", q)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tKIND\tSCORE\tWHERE\tDESCRIPTION")
	for _, h := range hits {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%s\n", h.Name, h.Version, h.Kind, h.Score, cmp.Or(h.Remote, "installed"), h.Description)
	}
	tw.Flush()
	return 0
}

func infoVerb(c *command, args []string) int {
	reg, code, ok := c.withRegistry().parseRegistry(args, 1, 1)
	if !ok {
		return code
	}
	ref := registry.ParseRef(c.Arg(0))
	rec, err := reg.Best(ref.Name, ref.Range)
	if err != nil {
		return c.regFail(err)
	}
	facts, err := reg.Facts(rec)
	if err != nil {
		return c.regFail(err)
	}
	for _, f := range facts {
		if f.Block {
			fmt.Fprintf(c.stdout, "%s:\n  %s\n", f.Key, strings.ReplaceAll(f.Value, "\n", "\n  "))
		} else {
			fmt.Fprintf(c.stdout, "%-13s %s\n", f.Key+":", f.Value)
		}
	}
	return 0
}
