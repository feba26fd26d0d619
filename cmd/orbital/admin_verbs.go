package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/system"
)

// The client verbs of a running instance: orbital ps, jobs, kill, admin and logs. They reach
// it through its control socket (admin.ControlClient) or, for the panel's URL, the home's
// run/admin.url.

func init() {
	register(verb{Name: "ps", Usage: "ps [--cluster] [--home DIR]", Short: "list the modules of the running Orbital instance", Run: psVerb})
	register(verb{Name: "jobs", Usage: "jobs [--json] [--home DIR]", Short: "list the triggers of the running instance: last and next run, runs, skips, last exit", Run: jobsVerb})
	register(verb{Name: "kill", Usage: "kill [--force] [--home DIR] PID...", Short: "stop modules of the running instance (quit request, then forced)", Run: killVerb})
	register(verb{Name: "admin", Usage: "admin [--home DIR]", Short: "print the admin panel's URL of the running instance", Run: adminVerb})
	register(verb{Name: "logs", Usage: "logs [-n N] [--home DIR] PID", Short: "print a module's log and stdout/stderr lines", Run: logsVerb})
}

// clientVerb parses a client verb's flags (--home, and those extra adds) and runs do with a
// client of the home's instance and a 10 s deadline.
func clientVerb(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet), do func(ctx context.Context, c admin.ControlClient, fs *flag.FlagSet) int) int {
	fs := newFlagSet(name, stderr)
	homeFlag := fs.String("home", "", "Orbital home of the instance (default $ORBITAL_HOME)")
	if extra != nil {
		extra(fs)
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	c, ok := controlClient(*homeFlag, stderr)
	if !ok {
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return do(ctx, c, fs)
}

// controlClient is a client of the control socket of the instance of --home.
func controlClient(homeFlag string, stderr io.Writer) (admin.ControlClient, bool) {
	home, err := orbitalHome(homeFlag)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return admin.ControlClient{}, false
	}
	return admin.ControlClient{Path: admin.ControlSocketPath(home)}, true
}

// failed prints err for verb and returns 1.
func failed(stderr io.Writer, verb string, err error) int {
	fmt.Fprintf(stderr, "orbital %s: %v\n", verb, err)
	return 1
}

func psVerb(args []string, stdout, stderr io.Writer) int {
	var all *bool
	extra := func(fs *flag.FlagSet) { all = fs.Bool("cluster", false, "every node's processes (cluster.go)") }
	return clientVerb("ps", args, stderr, extra, func(ctx context.Context, c admin.ControlClient, _ *flag.FlagSet) int {
		if *all {
			procs, err := c.ClusterProcesses(ctx)
			if err != nil {
				return failed(stderr, "ps", err)
			}
			admin.WriteClusterTable(stdout, procs, time.Now())
			return 0
		}
		procs, now, err := c.Processes(ctx)
		if err != nil {
			return failed(stderr, "ps", err)
		}
		admin.WriteTable(stdout, procs, now)
		return 0
	})
}

func jobsVerb(args []string, stdout, stderr io.Writer) int {
	var asJSON *bool
	extra := func(fs *flag.FlagSet) {
		asJSON = fs.Bool("json", false, "print a JSON list of objects (module, trigger, state, runs, skips, last_exit, ...)")
	}
	return clientVerb("jobs", args, stderr, extra, func(ctx context.Context, c admin.ControlClient, _ *flag.FlagSet) int {
		jobs, now, err := c.Jobs(ctx)
		switch {
		case err != nil:
			return failed(stderr, "jobs", err)
		case *asJSON:
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(append([]admin.Job{}, jobs...)); err != nil {
				return failed(stderr, "jobs", err)
			}
		case len(jobs) == 0:
			fmt.Fprintln(stdout, "no jobs: no installed module has triggers ([triggers] in its module.toml)")
		default:
			admin.WriteJobs(stdout, jobs, now)
		}
		return 0
	})
}

func killVerb(args []string, stdout, stderr io.Writer) int {
	var force *bool
	extra := func(fs *flag.FlagSet) {
		force = fs.Bool("force", false, "kill at once instead of asking the module to quit first")
	}
	return clientVerb("kill", args, stderr, extra, func(ctx context.Context, c admin.ControlClient, fs *flag.FlagSet) int {
		if fs.NArg() == 0 {
			fmt.Fprintln(stderr, "orbital kill: name at least one PID (see orbital ps)")
			return exitUsage
		}
		op, done := "stop", "stopping"
		if *force {
			op, done = "kill", "killed"
		}
		code := 0
		for _, a := range fs.Args() {
			var pid uint32
			if _, err := fmt.Sscanf(a, "%d", &pid); err != nil || fmt.Sprint(pid) != a {
				fmt.Fprintf(stderr, "orbital kill: %q is not a pid (see orbital ps)\n", a)
				code = exitUsage
				continue
			}
			if err := c.Do(ctx, op, pid); err != nil {
				code = failed(stderr, "kill", err)
				if errors.Is(err, admin.ErrNotRunning) {
					return 1
				}
				continue
			}
			fmt.Fprintf(stdout, "%s pid %d\n", done, pid)
		}
		return code
	})
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
	var n *int
	extra := func(fs *flag.FlagSet) { n = fs.Int("n", 200, "number of newest lines") }
	return clientVerb("logs", args, stderr, extra, func(ctx context.Context, c admin.ControlClient, fs *flag.FlagSet) int {
		var pid uint32
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "orbital logs: name one PID (see orbital ps)")
			return exitUsage
		}
		if _, err := fmt.Sscanf(fs.Arg(0), "%d", &pid); err != nil {
			fmt.Fprintf(stderr, "orbital logs: %q is not a pid\n", fs.Arg(0))
			return exitUsage
		}
		lines, err := c.Logs(ctx, pid, *n)
		if err != nil {
			return failed(stderr, "logs", err)
		}
		sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
		for _, l := range lines {
			fmt.Fprintf(stdout, "%s %s %s\n", l.Time.Format("15:04:05.000"), l.Stream, l.Text)
		}
		return 0
	})
}
