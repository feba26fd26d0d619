package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/system"
)

// The client verbs of a running instance: orbital ps, kill, admin and logs. They reach it
// through its control socket (admin.ControlClient) or, for the panel's URL, the home's
// run/admin.url.

func init() {
	register(verb{Name: "ps", Usage: "ps [--home DIR]", Short: "list the modules of the running Orbital instance", Run: psVerb})
	register(verb{Name: "kill", Usage: "kill [--force] [--home DIR] PID...", Short: "stop modules of the running instance (quit request, then forced)", Run: killVerb})
	register(verb{Name: "admin", Usage: "admin [--home DIR]", Short: "print the admin panel's URL of the running instance", Run: adminVerb})
	register(verb{Name: "logs", Usage: "logs [-n N] [--home DIR] PID", Short: "print a module's log and stdout/stderr lines", Run: logsVerb})
}

func controlClient(homeFlag string, stderr io.Writer) (admin.ControlClient, bool) {
	home, err := orbitalHome(homeFlag)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return admin.ControlClient{}, false
	}
	return admin.ControlClient{Path: admin.ControlSocketPath(home)}, true
}

func psVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ps", stderr)
	home := fs.String("home", "", "Orbital home of the instance (default $ORBITAL_HOME)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	c, ok := controlClient(*home, stderr)
	if !ok {
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	procs, now, err := c.Processes(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "orbital ps: %v\n", err)
		return 1
	}
	admin.WriteTable(stdout, procs, now)
	return 0
}

func killVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("kill", stderr)
	home := fs.String("home", "", "Orbital home of the instance (default $ORBITAL_HOME)")
	force := fs.Bool("force", false, "kill at once instead of asking the module to quit first")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "orbital kill: name at least one PID (see orbital ps)")
		return exitUsage
	}
	c, ok := controlClient(*home, stderr)
	if !ok {
		return exitUsage
	}
	op := "stop"
	if *force {
		op = "kill"
	}
	code := 0
	for _, a := range fs.Args() {
		var pid uint32
		if _, err := fmt.Sscanf(a, "%d", &pid); err != nil || fmt.Sprint(pid) != a {
			fmt.Fprintf(stderr, "orbital kill: %q is not a pid (see orbital ps)\n", a)
			code = exitUsage
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.Do(ctx, op, pid)
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "orbital kill: %v\n", err)
			if errors.Is(err, admin.ErrNotRunning) {
				return 1
			}
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "%s pid %d\n", map[string]string{"stop": "stopping", "kill": "killed"}[op], pid)
	}
	return code
}

func adminVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("admin", stderr)
	home := fs.String("home", "", "Orbital home of the instance (default $ORBITAL_HOME)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	h, err := orbitalHome(*home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital admin: %v\n", err)
		return exitUsage
	}
	b, err := os.ReadFile(system.AdminURLFile(h))
	if err != nil {
		fmt.Fprintf(stderr, "orbital admin: no running Orbital instance with home %s (start `orbital` or `orbital run` first)\n", h)
		return 1
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(b)))
	return 0
}

func logsVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("logs", stderr)
	home := fs.String("home", "", "Orbital home of the instance (default $ORBITAL_HOME)")
	n := fs.Int("n", 200, "number of newest lines")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	var pid uint32
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "orbital logs: name one PID (see orbital ps)")
		return exitUsage
	}
	if _, err := fmt.Sscanf(fs.Arg(0), "%d", &pid); err != nil {
		fmt.Fprintf(stderr, "orbital logs: %q is not a pid\n", fs.Arg(0))
		return exitUsage
	}
	c, ok := controlClient(*home, stderr)
	if !ok {
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lines, err := c.Logs(ctx, pid, *n)
	if err != nil {
		fmt.Fprintf(stderr, "orbital logs: %v\n", err)
		return 1
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
	for _, l := range lines {
		fmt.Fprintf(stdout, "%s %s %s\n", l.Time.Format("15:04:05.000"), l.Stream, l.Text)
	}
	return 0
}
