package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
)

func init() {
	register(verb{
		Name:  "install",
		Usage: "install [flags] SOURCE...",
		Short: "install modules: a .wasm, a .tar.gz, a DIR, an http(s) URL or orbital://NAME[@RANGE]",
		Run:   installVerb,
	})
}

func installVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("install", stderr)
	rf := addRegistryFlags(fs)
	var opt registry.InstallOptions
	fs.BoolVar(&opt.AllowDowngrade, "allow-downgrade", false, "install a version older than the newest one installed")
	fs.BoolVar(&opt.Replace, "replace", false, "replace an installed version that has other content (a module rebuilt during development)")
	fs.BoolVar(&opt.AllowUnsigned, "allow-unsigned", false, "accept unsigned packages from remote registries")
	fs.BoolVar(&opt.AllowUntrusted, "allow-untrusted", false, "accept packages signed by publishers not in the trust list")
	fs.StringVar(&opt.ManifestDir, "manifests", "", "for a bare X.wasm use DIR/X/module.toml as its manifest when present (e.g. --manifests modules)")
	maxSize := fs.String("max-size", "256MiB", "largest download accepted")
	fs.DurationVar(&opt.Fetch.Timeout, "timeout", 2*time.Minute, "give up a download after this long")
	fs.IntVar(&opt.Fetch.Retries, "retries", registry.DefaultFetchRetries, "retries of a failed download (-1: none)")
	quiet := fs.Bool("q", false, "no progress bar")
	reload := fs.Bool("reload", false, "then move the running processes of each installed app to the version installed, in place (orbital reload)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: orbital install [flags] SOURCE...")
		fmt.Fprintln(stderr, "SOURCE is a .wasm or .tar.gz file, a module directory (module.toml), a directory of .wasm/.tar.gz")
		fmt.Fprintln(stderr, "files, an http(s):// URL, orbital://NAME[@RANGE] or NAME[@RANGE] (local, then the remote registries).")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	n, err := policies.ParseSize(*maxSize)
	if err != nil {
		fmt.Fprintf(stderr, "orbital install: --max-size: %v\n", err)
		return exitUsage
	}
	opt.Fetch.MaxBytes = n
	if opt.Fetch.Retries == 0 {
		opt.Fetch.Retries = -1
	}
	reg, err := rf.open()
	if err != nil {
		return fail(stderr, "install", err)
	}
	opt.Check = permissionCheck(reg.Home())
	opt.Log = func(s string) { fmt.Fprintln(stderr, "orbital install: "+s) }
	ctx, cancel := signalContext()
	defer cancel()
	code := 0
	for _, src := range fs.Args() {
		bar := newDownloadBar(stderr, "fetching "+src, *quiet)
		opt.Fetch.Progress = bar.progress
		res, err := reg.Install(ctx, src, opt)
		bar.finish()
		for _, r := range res {
			if r.Already {
				fmt.Fprintf(stdout, "%s (%s) is already installed\n", r.Record.ID(), r.Record.Kind)
			} else {
				fmt.Fprintf(stdout, "installed %s (%s) from %s\n", r.Record.ID(), r.Record.Kind, r.Record.Source)
			}
			if *reload && r.Record.Kind == "app" {
				if c := reloadInstalled(reg.Home(), r.Record.Name, r.Record.Version, stdout, stderr); c > code {
					code = c
				}
			}
		}
		if err != nil {
			if c := fail(stderr, "install", err); c > code {
				code = c
			}
		}
	}
	return code
}

// permissionCheck refuses a manifest whose [permissions] a policy file could not express,
// with the policies package's message (file, line, key).
func permissionCheck(home string) func(*registry.Manifest) error {
	return func(m *registry.Manifest) error {
		_, err := policies.ParseRequests(m.ID()+" module.toml [permissions]", m.RequestsTOML(), policies.DefaultExpand(home))
		if err != nil {
			return fmt.Errorf("%w: %v", registry.ErrBadManifest, err)
		}
		return nil
	}
}

// downloadBar draws a progress bar for one download, backup or restore on a terminal (nothing
// otherwise).
type downloadBar struct {
	w     io.Writer
	label string
	off   bool
	bar   *progressbar.ProgressBar
}

func newDownloadBar(w io.Writer, label string, quiet bool) *downloadBar {
	f, ok := w.(*os.File)
	return &downloadBar{w: w, label: label, off: quiet || !ok || !term.IsTerminal(int(f.Fd()))}
}

func (d *downloadBar) progress(done, total int64) {
	if d.off {
		return
	}
	if d.bar == nil {
		d.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(d.w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(d.label), progressbar.OptionThrottle(65*time.Millisecond),
			progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(30))
	}
	d.bar.Set64(done)
}

func (d *downloadBar) finish() {
	if d.bar != nil {
		d.bar.Finish()
		d.bar = nil
	}
}

// reloadInstalled moves the running processes of name to version for install --reload. A
// module that is not running has nothing to reload: that is not an error here.
func reloadInstalled(home, name, version string, stdout, stderr io.Writer) int {
	c := admin.ControlClient{Path: admin.ControlSocketPath(home)}
	var errs bytes.Buffer
	code := reloadModule(c, admin.ReloadRequest{Name: name, Version: version}, "install --reload", stdout, &errs)
	if code == exitNotRunning {
		fmt.Fprintf(stdout, "%s is not running: nothing to reload\n", name)
		return 0
	}
	stderr.Write(errs.Bytes())
	return code
}
