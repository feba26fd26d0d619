package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/registry"
	"github.com/orbital/orbital/system"
)

func installVerb(c *command, args []string) int {
	c.withRegistry()
	var opt registry.InstallOptions
	c.BoolVar(&opt.AllowDowngrade, "allow-downgrade", false, "install a version older than the newest one installed")
	c.BoolVar(&opt.Replace, "replace", false, "replace an installed version that has other content (a module rebuilt during development)")
	c.BoolVar(&opt.AllowUnsigned, "allow-unsigned", false, "accept unsigned packages from remote registries")
	c.BoolVar(&opt.AllowUntrusted, "allow-untrusted", false, "accept packages signed by publishers not in the trust list")
	c.StringVar(&opt.ManifestDir, "manifests", "", "for a bare X.wasm use DIR/X/module.toml as its manifest when present (e.g. --manifests modules)")
	maxSize := c.size("max-size", 256<<20, "largest download accepted")
	c.DurationVar(&opt.Fetch.Timeout, "timeout", 2*time.Minute, "give up a download after this long")
	c.IntVar(&opt.Fetch.Retries, "retries", registry.DefaultFetchRetries, "retries of a failed download (-1: none)")
	quiet := c.Bool("q", false, "no progress bar")
	reload := c.Bool("reload", false, "then move the running processes of each installed app to the version installed, in place (orbital reload)")
	reg, code, ok := c.parseRegistry(args, 1, -1)
	if !ok {
		return code
	}
	opt.Fetch.MaxBytes = *maxSize
	if opt.Fetch.Retries == 0 {
		opt.Fetch.Retries = -1
	}
	opt.Check = system.CheckRequests(reg.Home())
	opt.Log = func(s string) { c.failf(0, "%s", s) }
	ctx, cancel := signalContext()
	defer cancel()
	for _, src := range c.Args() {
		bar := newDownloadBar(c.stderr, src, *quiet)
		opt.Fetch.Progress = bar.progress
		res, err := reg.Install(ctx, src, opt)
		bar.finish()
		for _, r := range res {
			if r.Already {
				fmt.Fprintf(c.stdout, "%s (%s) is already installed\n", r.Record.ID(), r.Record.Kind)
			} else {
				fmt.Fprintf(c.stdout, "installed %s (%s) from %s\n", r.Record.ID(), r.Record.Kind, r.Record.Source)
			}
			if *reload && r.Record.Kind == "app" {
				cl := admin.ControlClient{Path: admin.ControlSocketPath(reg.Home())}
				code = max(code, c.reload(cl, admin.ReloadRequest{Name: r.Record.Name, Version: r.Record.Version}))
			}
		}
		if err != nil {
			code = max(code, c.regFail(err))
		}
	}
	return code
}

// downloadBar draws a progress bar for one download on a terminal (nothing otherwise); it
// goes when the download is complete.
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
			progressbar.OptionSetDescription("fetching "+d.label), progressbar.OptionThrottle(65*time.Millisecond),
			progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(30))
	}
	d.bar.Set64(done)
	if total > 0 && done >= total {
		d.finish()
	}
}

func (d *downloadBar) finish() {
	if d.bar != nil {
		d.bar.Finish()
		d.bar = nil
	}
}
