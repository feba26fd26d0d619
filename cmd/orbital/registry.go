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
	"path/filepath"
	"strings"
	"syscall"

	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
)

func init() {
	register(verb{
		Name:  "registry",
		Usage: "registry serve --addr HOST:PORT DIR | trust KEY | key",
		Short: "run a module registry server, trust a publisher key, show your publisher key",
		Run:   registryVerb,
	})
	// orbital run NAME and the shell's URL bar find installed modules first.
	addHomeModuleSource(registryModuleSource)
	addHomeOpenSource(registryOpenSource)
	installedModules = registryInstalled
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

// defaultKeyPath is the publisher key orbital sign uses without --key.
func defaultKeyPath(home string) string { return filepath.Join(home, "keys", "publisher.key") }

func registryKey(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("registry key", stderr)
	home := fs.String("home", "", "Orbital home (default $ORBITAL_HOME)")
	keyFile := fs.String("key", "", "private key file (default HOME/keys/publisher.key, created if missing)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	priv, path, err := loadOrCreateKey(*home, *keyFile, stderr)
	if err != nil {
		return fail(stderr, "registry key", err)
	}
	fmt.Fprintf(stdout, "%s\n", registry.PublicKeyString(priv.Public().(ed25519.PublicKey)))
	fmt.Fprintf(stderr, "(private key: %s)\n", path)
	return 0
}

// registryModuleSource finds NAME or NAME@RANGE among the installed modules for orbital run.
func registryModuleSource(home string) moduleSource {
	return moduleSource{Name: "the registry (" + filepath.Join(home, "registry") + ")", Resolve: func(target string) (string, bool, error) {
		ref := registry.ParseRef(target)
		if ref.Kind != registry.RefName {
			return "", false, nil
		}
		reg, err := registry.Open(home)
		if err != nil {
			return "", false, err
		}
		rec, err := reg.Best(ref.Name, ref.Range)
		if errors.Is(err, registry.ErrNotFound) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		res, err := reg.Load(rec) // checks the digests
		if err != nil {
			return "", false, err
		}
		return res.Path, true, nil
	}}
}

// registryOpenSource handles orbital://name[@range] (installing from the remotes when needed),
// installed module names, and search words in the shell's URL bar.
func registryOpenSource(home string) openSource {
	return openSource{Name: "registry", Open: func(ctx context.Context, text string, progress func(done, total int64)) (openedModule, bool, error) {
		ref := registry.ParseRef(text)
		if ref.Kind != registry.RefName && ref.Kind != registry.RefWords {
			return openedModule{}, false, nil
		}
		reg, err := registry.Open(home)
		if err != nil {
			return openedModule{}, true, err
		}
		if ref.Kind == registry.RefName && !strings.HasPrefix(text, "orbital://") {
			if _, err := reg.Best(ref.Name, ref.Range); err != nil {
				return openedModule{}, false, nil // not installed: the plain name sources may know it
			}
		}
		res, err := reg.Resolve(ctx, text, registry.InstallOptions{Fetch: registry.FetchOptions{Progress: progress}})
		if err != nil {
			return openedModule{}, true, err
		}
		return openedModule{Name: res.Manifest.Name, Path: res.Path, Wasm: res.WASM}, true, nil
	}}
}

// registryInstalled lists the newest installed version of each module with its publisher and
// requested permissions, for the policy verbs.
func registryInstalled(home string) ([]installedModule, error) {
	reg, err := registry.Open(home)
	if err != nil {
		return nil, err
	}
	recs, err := reg.List("")
	if err != nil {
		return nil, err
	}
	var out []installedModule
	for i, rec := range recs {
		if i > 0 && recs[i-1].Name == rec.Name {
			continue // older version
		}
		m, err := reg.Manifest(rec)
		if err != nil {
			return nil, err
		}
		if rec.Derived { // a bare .wasm: no manifest of its own, policy alone decides
			out = append(out, installedModule{Name: rec.Name})
			continue
		}
		req, err := policies.ParseRequests(rec.ID()+" module.toml [permissions]", m.RequestsTOML(), policies.DefaultExpand(home))
		if err != nil {
			return nil, err
		}
		out = append(out, installedModule{Name: rec.Name, Publisher: m.Publisher, Requests: req})
	}
	return out, nil
}

// installedIdentity returns the manifest facts the kernel's SpawnOptions want for a module
// loaded from the registry, found by its sha256 digest (hex, kernel.Module.Digest): version,
// publisher and requested permissions (nil for a bare .wasm: policy alone decides). ok is
// false for a module the registry does not hold. run.go and open.go can call it after Load.
func installedIdentity(home, digest string) (version, publisher string, requests *policies.Grants, ok bool) {
	reg, err := registry.Open(home)
	if err != nil {
		return "", "", nil, false
	}
	recs, err := reg.List("")
	if err != nil {
		return "", "", nil, false
	}
	for _, rec := range recs {
		if rec.EntryDigest != "sha256:"+digest {
			continue
		}
		m, err := reg.Manifest(rec)
		if err != nil {
			return "", "", nil, false
		}
		if !rec.Derived {
			requests, err = policies.ParseRequests(rec.ID()+" module.toml [permissions]", m.RequestsTOML(), policies.DefaultExpand(home))
			if err != nil {
				return "", "", nil, false
			}
		}
		return rec.Version, m.Publisher, requests, true
	}
	return "", "", nil, false
}
