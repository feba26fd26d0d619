package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/storage"
	"github.com/orbital/orbital/system"
)

// The client verbs of a running instance: orbital ps, jobs, kill, logs, reload, admin, kv and
// call. They reach it through its control socket (admin.ControlClient) or, for the panel's
// URL, the home's run/admin.url; kv opens the home's storage itself when no instance runs.

// withClient parses a client verb's arguments (--home added) and runs do with a client of the
// home's instance and a 10 s deadline.
func (c *command) withClient(args []string, min, max int, do func(ctx context.Context, cl admin.ControlClient) int) int {
	home, code, ok := c.withHome().parseHome(args, min, max)
	if !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return do(ctx, admin.ControlClient{Path: admin.ControlSocketPath(home)})
}

func psVerb(c *command, args []string) int {
	all := c.Bool("cluster", false, "every node's processes (cluster.go)")
	return c.withClient(args, 0, 0, func(ctx context.Context, cl admin.ControlClient) int {
		if *all {
			procs, err := cl.ClusterProcesses(ctx)
			if err != nil {
				return c.fail(err)
			}
			admin.WriteClusterTable(c.stdout, procs, time.Now())
			return 0
		}
		procs, now, err := cl.Processes(ctx)
		if err != nil {
			return c.fail(err)
		}
		admin.WriteTable(c.stdout, procs, now)
		return 0
	})
}

func jobsVerb(c *command, args []string) int {
	asJSON := c.Bool("json", false, "print a JSON list of objects (module, trigger, state, runs, skips, last_exit, ...)")
	return c.withClient(args, 0, 0, func(ctx context.Context, cl admin.ControlClient) int {
		jobs, now, err := cl.Jobs(ctx)
		switch {
		case err != nil:
			return c.fail(err)
		case *asJSON:
			return c.printJSON(append([]admin.Job{}, jobs...)) // [] rather than null
		case len(jobs) == 0:
			fmt.Fprintln(c.stdout, "no jobs: no installed module has triggers ([triggers] in its module.toml)")
		default:
			admin.WriteJobs(c.stdout, jobs, now)
		}
		return 0
	})
}

func killVerb(c *command, args []string) int {
	force := c.Bool("force", false, "kill at once instead of asking the module to quit first")
	return c.withClient(args, 1, -1, func(ctx context.Context, cl admin.ControlClient) int {
		op, done, code := "stop", "stopping", 0
		if *force {
			op, done = "kill", "killed"
		}
		for _, a := range c.Args() {
			pid, err := strconv.ParseUint(a, 10, 32)
			if err != nil {
				code = c.failf(exitUsage, "%q is not a pid (see orbital ps)", a)
				continue
			}
			if err := cl.Do(ctx, op, uint32(pid)); err != nil {
				code = c.fail(err)
				if errors.Is(err, admin.ErrNotRunning) {
					return 1
				}
				continue
			}
			fmt.Fprintf(c.stdout, "%s pid %d\n", done, pid)
		}
		return code
	})
}

func logsVerb(c *command, args []string) int {
	n := c.Int("n", 200, "number of newest lines")
	return c.withClient(args, 1, 1, func(ctx context.Context, cl admin.ControlClient) int {
		pid, err := strconv.ParseUint(c.Arg(0), 10, 32)
		if err != nil {
			return c.failf(exitUsage, "%q is not a pid", c.Arg(0))
		}
		lines, err := cl.Logs(ctx, uint32(pid), *n)
		if err != nil {
			return c.fail(err)
		}
		sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
		for _, l := range lines {
			fmt.Fprintf(c.stdout, "%s %s %s\n", l.Time.Format("15:04:05.000"), l.Stream, l.Text)
		}
		return 0
	})
}

func adminVerb(c *command, args []string) int {
	home, code, ok := c.withHome().parseHome(args, 0, 0)
	if !ok {
		return code
	}
	url, ok := system.RunningPanelURL(home)
	if !ok {
		return c.failf(1, "no running Orbital instance with home %s (start `orbital` or `orbital run` first)", home)
	}
	fmt.Fprintln(c.stdout, url)
	return 0
}

func reloadVerb(c *command, args []string) int {
	grace := c.Duration("grace", 0, "how long the new code must run without crashing before the reload is final (default 5s, at most 10s)")
	return c.withClient(args, 1, 2, func(_ context.Context, cl admin.ControlClient) int {
		if *grace < 0 || *grace > admin.MaxReloadGrace {
			return c.failf(exitUsage, "--grace %v is outside 0..%v", *grace, admin.MaxReloadGrace)
		}
		return c.reload(cl, admin.ReloadRequest{Name: c.Arg(0), Version: c.Arg(1), Grace: *grace})
	})
}

// reload asks the instance behind cl for a reload and prints one line per process. The status
// is 0 when every process runs the new code, 2 when no process of the module (or
// no instance) runs, 1 otherwise (refused, rolled back, ended). For install --reload a module
// that is not running has nothing to reload, which is not an error.
func (c *command) reload(cl admin.ControlClient, req admin.ReloadRequest) int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cl.Reload(ctx, req)
	notRunning := errors.Is(err, admin.ErrModuleNotRunning) || errors.Is(err, admin.ErrNotRunning)
	switch {
	case notRunning && c.name == "install":
		fmt.Fprintf(c.stdout, "%s is not running: nothing to reload\n", req.Name)
		return 0
	case errors.Is(err, admin.ErrNotRunning):
		return c.failf(exitUsage, "%s is not running (no Orbital instance runs on this home)", req.Name)
	case notRunning:
		return c.failf(exitUsage, "%s is not running", req.Name)
	case err != nil:
		return c.fail(err)
	}
	code := 0
	for _, r := range res {
		fmt.Fprintf(c.stdout, "%s pid %d: %s\n", req.Name, r.PID, r.Text)
		if r.Outcome != "reloaded" {
			code = 1
		}
	}
	return code
}

func kvVerb(c *command, args []string) int {
	home, code, ok := c.withHome().parseHome(args, 2, 4)
	if !ok {
		return code
	}
	req, ok := admin.ParseKV(c.Args())
	if !ok {
		c.Usage()
		return exitUsage
	}
	req.Module = system.ModuleName(req.Module)
	if req.Op == "put" && c.Arg(3) == "-" {
		v, err := io.ReadAll(io.LimitReader(os.Stdin, storage.MaxValue+1))
		if err != nil {
			return c.failf(1, "read the value from stdin: %v", err)
		}
		req.Value = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	rep, err := system.KV(ctx, home, req)
	if err != nil {
		fmt.Fprintf(c.stderr, "orbital kv %s %s: %v\n", req.Module, req.Op, err)
		if errors.Is(err, admin.ErrNoKey) {
			return 1
		}
		return exitUsage
	}
	switch req.Op {
	case "ls":
		for _, k := range rep.Keys {
			fmt.Fprintln(c.stdout, k)
		}
		quota := "no"
		if rep.Quota > 0 {
			quota = policies.FormatSize(rep.Quota)
		}
		fmt.Fprintf(c.stderr, "%d key(s); %s stored of a %s quota\n", len(rep.Keys), policies.FormatSize(max(rep.Usage, 0)), quota)
	case "get":
		c.stdout.Write(rep.Value)
	case "rm":
		if !rep.Found {
			return c.failf(1, "%s has no key %q", req.Module, req.Key)
		}
	}
	return 0
}

func callVerb(c *command, args []string) int {
	timeout := c.Duration("timeout", 10*time.Second, "how long to wait for the reply (at most 25s)")
	return c.withClient(args, 1, 2, func(_ context.Context, cl admin.ControlClient) int {
		req := admin.CallRequest{Name: c.Arg(0), Timeout: min(*timeout, admin.MaxCallTimeout)}
		if c.NArg() == 2 {
			req.Payload = []byte(c.Arg(1))
		}
		if c.Arg(1) == "-" {
			b, err := io.ReadAll(io.LimitReader(os.Stdin, 1<<20+1))
			if err != nil {
				return c.failf(1, "read the payload from stdin: %v", err)
			}
			req.Payload = b
		}
		ctx, cancel := context.WithTimeout(context.Background(), req.Timeout+5*time.Second)
		defer cancel()
		rep, err := cl.Call(ctx, req)
		c.name += " " + req.Name // errors name the call: orbital call weather.now: ...
		switch {
		case errors.Is(err, admin.ErrNotRunning):
			return c.failf(exitUsage, "%v", err)
		case err != nil:
			return c.fail(err)
		case rep.Failed:
			return c.failf(1, "the service failed: %s", rep.Payload)
		}
		c.stdout.Write(rep.Payload)
		return 0
	})
}
