package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/orbital/orbital/backup"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/system"
)

func backupVerb(c *command, args []string) int {
	keys := c.withHome().Bool("with-keys", false, "include the publisher signing key (keys/)")
	quiet := c.Bool("q", false, "no progress bar")
	home, code, ok := c.parseHome(args, 1, 1)
	if !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bar := newDownloadBar(c.stderr, "backup", *quiet)
	m, err := system.Backup(ctx, home, c.Arg(0), system.BackupOptions{WithKeys: *keys, Progress: bar.progress,
		Warn: func(msg string) { c.failf(0, "warning: %s", msg) }})
	bar.finish()
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "%s: %d files, %s\n", c.Arg(0), len(m.Files), policies.FormatSize(m.Bytes))
	return 0
}

func restoreVerb(c *command, args []string) int {
	force := c.withHome().Bool("force", false, "replace a home that is not empty")
	quiet := c.Bool("q", false, "no progress bar")
	home, code, ok := c.parseHome(args, 1, 1)
	if !ok {
		return code
	}
	verify, write := newDownloadBar(c.stderr, "verifying", *quiet), newDownloadBar(c.stderr, "restoring", *quiet)
	h, m, err := system.Restore(home, c.Arg(0), backup.RestoreOptions{Force: *force, Verifying: verify.progress, Restoring: write.progress})
	verify.finish()
	write.finish()
	if err != nil {
		c.fail(err)
		if errors.Is(err, backup.ErrNotEmpty) {
			return exitUsage
		}
		return 1
	}
	fmt.Fprintf(c.stdout, "restored %d files (%s) taken %s into %s\n", len(m.Files), policies.FormatSize(m.Bytes),
		h.Created.Local().Format("2006-01-02 15:04:05"), home)
	return 0
}
