package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/orbital/orbital/registry"
)

func init() {
	register(verb{
		Name:  "registry",
		Usage: "registry serve --addr HOST:PORT DIR | trust KEY | key",
		Short: "run a module registry server, trust a publisher key, show your publisher key",
		Run:   registryVerb,
	})
}

// registryFlags are the flags every registry verb shares.
type registryFlags struct {
	home    *string
	remotes multiFlag
}

func addRegistryFlags(fs *flag.FlagSet) *registryFlags {
	rf := &registryFlags{home: fs.String("home", "", "Orbital home (default $ORBITAL_HOME, else ~/.local/share/orbital)")}
	fs.Var(&rf.remotes, "registry", "registry server URL to use instead of config.toml's [registry] remotes (repeatable)")
	return rf
}

// open opens the home's registry with the remotes the flags name.
func (rf *registryFlags) open() (*registry.Registry, error) {
	home, err := orbitalHome(*rf.home)
	if err != nil {
		return nil, err
	}
	reg, err := registry.Open(home)
	if err != nil {
		return nil, err
	}
	if len(rf.remotes) > 0 {
		reg.Remotes = rf.remotes
	}
	return reg, nil
}

// badInput lists the registry errors that are the user's input, not Orbital failing (exit 2).
var badInput = []error{registry.ErrBadManifest, registry.ErrBadArchive, registry.ErrNotFound,
	registry.ErrNotSatisfied, registry.ErrDigest, registry.ErrBadSignature, registry.ErrUnsigned,
	registry.ErrUntrusted, registry.ErrDowngrade, registry.ErrConflict, registry.ErrCycle,
	registry.ErrInUse, registry.ErrNotModule, registry.ErrHTTPStatus, registry.ErrTooLarge,
	registry.ErrBadURL, registry.ErrNotWasm, os.ErrNotExist}

// fail prints err for verb and returns the exit code it deserves.
func fail(stderr io.Writer, v string, err error) int {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(stderr, "orbital %s: %s\n", v, line)
	}
	for _, b := range badInput {
		if errors.Is(err, b) {
			return exitUsage
		}
	}
	return 1
}

// signalContext is cancelled by Ctrl-C or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func registryVerb(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "usage: orbital registry serve [--addr 127.0.0.1:7070] [--require-trusted] DIR")
		fmt.Fprintln(stderr, "       orbital registry trust [--home DIR] KEY")
		fmt.Fprintln(stderr, "       orbital registry key [--home DIR] [--key FILE]")
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	switch args[0] {
	case "serve":
		return registryServe(args[1:], stdout, stderr)
	case "trust":
		return registryTrust(args[1:], stdout, stderr)
	case "key":
		return registryKey(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "orbital registry: unknown subcommand %q (want serve, trust or key)\n", args[0])
	return exitUsage
}

func registryServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("registry serve", stderr)
	addr := fs.String("addr", "127.0.0.1:7070", "address to listen on")
	requireTrusted := fs.Bool("require-trusted", false, "accept publishes only from keys in DIR/registry/trusted.toml")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "orbital registry serve: want one DIR (the server's store); usage: orbital registry serve --addr HOST:PORT DIR")
		return exitUsage
	}
	reg, err := registry.Open(fs.Arg(0))
	if err != nil {
		return fail(stderr, "registry serve", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(stderr, "registry serve", err)
	}
	srv := &registry.Server{Reg: reg, RequireTrusted: *requireTrusted, Log: func(s string) { fmt.Fprintln(stderr, s) }}
	fmt.Fprintf(stdout, "orbital registry: serving %s on http://%s\n", reg.Home(), ln.Addr())
	ctx, cancel := signalContext()
	defer cancel()
	if err := srv.Serve(ctx, ln, log.New(stderr, "orbital registry: ", 0)); err != nil {
		return fail(stderr, "registry serve", err)
	}
	return 0
}

func registryTrust(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("registry trust", stderr)
	rf := addRegistryFlags(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "orbital registry trust: want one KEY (ed25519:<base64>, as orbital registry key prints)")
		return exitUsage
	}
	reg, err := rf.open()
	if err != nil {
		return fail(stderr, "registry trust", err)
	}
	tr, err := registry.LoadTrust(reg.TrustPath())
	if err == nil {
		err = tr.Add(fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(stderr, "orbital registry trust: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "trusted %s (%s)\n", fs.Arg(0), reg.TrustPath())
	return 0
}

func registryKey(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("registry key", stderr)
	home := fs.String("home", "", "Orbital home (default $ORBITAL_HOME)")
	keyFile := fs.String("key", "", "private key file (default HOME/keys/publisher.key, created if missing)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	priv, path, err := publisherKey(*home, *keyFile, stderr)
	if err != nil {
		return fail(stderr, "registry key", err)
	}
	fmt.Fprintf(stdout, "%s\n", registry.PublicKeyString(priv.Public().(ed25519.PublicKey)))
	fmt.Fprintf(stderr, "(private key: %s)\n", path)
	return 0
}
