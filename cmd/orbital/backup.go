package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/orbital/orbital/backup"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/system"
)

func init() {
	register(verb{Name: "backup", Usage: "backup [--home DIR] [--with-keys] FILE.tar.gz",
		Short: "snapshot the home (registry, policies, storage, denials, state) into one file, even while it runs", Run: backupVerb})
	register(verb{Name: "restore", Usage: "restore [--home DIR] [--force] FILE.tar.gz",
		Short: "bring a backup back into an empty home, every digest checked before anything is written", Run: restoreVerb})
}

func backupVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("backup", stderr)
	home := fs.String("home", "", "Orbital home (default $ORBITAL_HOME)")
	keys := fs.Bool("with-keys", false, "include the publisher signing key (keys/)")
	quiet := fs.Bool("q", false, "no progress bar")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: orbital backup [--home DIR] [--with-keys] FILE.tar.gz")
		return exitUsage
	}
	dir, err := orbitalHome(*home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital backup: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bar := newDownloadBar(stderr, "backup", *quiet)
	m, err := system.Backup(ctx, dir, fs.Arg(0), system.BackupOptions{WithKeys: *keys, Progress: bar.progress,
		Warn: func(msg string) { fmt.Fprintf(stderr, "orbital backup: warning: %s\n", msg) }})
	bar.finish()
	if err != nil {
		fmt.Fprintf(stderr, "orbital backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %d files, %s\n", fs.Arg(0), len(m.Files), policies.FormatSize(m.Bytes))
	return 0
}

func restoreVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("restore", stderr)
	home := fs.String("home", "", "Orbital home (default $ORBITAL_HOME)")
	force := fs.Bool("force", false, "replace a home that is not empty")
	quiet := fs.Bool("q", false, "no progress bar")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: orbital restore [--home DIR] [--force] FILE.tar.gz")
		return exitUsage
	}
	dir, err := orbitalHome(*home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital restore: %v\n", err)
		return exitUsage
	}
	verify, write := newDownloadBar(stderr, "verifying", *quiet), newDownloadBar(stderr, "restoring", *quiet)
	h, m, err := system.Restore(dir, fs.Arg(0), backup.RestoreOptions{Force: *force,
		Verifying: func(d, t int64) {
			verify.progress(d, t)
			if d == t {
				verify.finish()
			}
		},
		Restoring: write.progress})
	verify.finish()
	write.finish()
	if err != nil {
		fmt.Fprintf(stderr, "orbital restore: %v\n", err)
		if errors.Is(err, backup.ErrNotEmpty) {
			return exitUsage
		}
		return 1
	}
	fmt.Fprintf(stdout, "restored %d files (%s) taken %s into %s\n", len(m.Files), policies.FormatSize(m.Bytes),
		h.Created.Local().Format("2006-01-02 15:04:05"), dir)
	return 0
}
