package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/orbital/orbital/admin"
)

func init() {
	register(verb{
		Name:  "reload",
		Usage: "reload [--home DIR] [--grace D] NAME [VERSION]",
		Short: "move every running process of module NAME to VERSION (default: the newest installed) in place: same pid, inbox and windows",
		Run:   reloadVerb,
	})
}

// exitNotRunning is the status of a reload of a module that is not running.
const exitNotRunning = 2

func reloadVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("reload", stderr)
	home := fs.String("home", "", "Orbital home of the instance (default $ORBITAL_HOME)")
	grace := fs.Duration("grace", 0, "how long the new code must run without crashing before the reload is final (default 5s, at most 10s)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fmt.Fprintln(stderr, "usage: orbital reload [--home DIR] [--grace D] NAME [VERSION]")
		return exitUsage
	}
	if *grace < 0 || *grace > admin.MaxReloadGrace {
		fmt.Fprintf(stderr, "orbital reload: --grace %v is outside 0..%v\n", *grace, admin.MaxReloadGrace)
		return exitUsage
	}
	c, ok := controlClient(*home, stderr)
	if !ok {
		return exitUsage
	}
	return reloadModule(c, admin.ReloadRequest{Name: fs.Arg(0), Version: fs.Arg(1), Grace: *grace}, "reload", stdout, stderr)
}

// reloadModule asks the instance behind c for a reload and prints one line per process. The
// status is 0 when every process runs the new code, exitNotRunning when no process of the
// module (or no instance) runs, 1 otherwise (refused, rolled back, ended).
func reloadModule(c admin.ControlClient, req admin.ReloadRequest, verb string, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Reload(ctx, req)
	switch {
	case errors.Is(err, admin.ErrModuleNotRunning):
		fmt.Fprintf(stderr, "orbital %s: %s is not running\n", verb, req.Name)
		return exitNotRunning
	case errors.Is(err, admin.ErrNotRunning):
		fmt.Fprintf(stderr, "orbital %s: %s is not running (no Orbital instance runs on this home)\n", verb, req.Name)
		return exitNotRunning
	case err != nil:
		fmt.Fprintf(stderr, "orbital %s: %v\n", verb, err)
		return 1
	}
	code := 0
	for _, r := range res {
		fmt.Fprintf(stdout, "%s pid %d: %s\n", req.Name, r.PID, r.Text)
		if r.Outcome != "reloaded" {
			code = 1
		}
	}
	return code
}
