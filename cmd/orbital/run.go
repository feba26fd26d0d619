package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/system"
	"github.com/orbital/orbital/wasm4"
)

func init() {
	register(verb{
		Name:  "run",
		Usage: "run [flags] TARGET... [-- args...]",
		Short: "run WASM modules (files or demo names) headless; exits with the module's exit code",
		Run:   runVerb,
	})
}

// runOptions are the flags of `orbital run`.
type runOptions struct {
	headless   bool
	frames     int
	screenshot string
	env, dirs  multiFlag
	home       string
	memory     string
	deadline   time.Duration
	size       string
	timeout    time.Duration
	input      string // --input: scripted gamepad input for WASM-4 carts
	targets    []string
	args       []string // after --, for the last TARGET
}

func parseRunFlags(args []string, stderr io.Writer) (o runOptions, code int, ok bool) {
	fs := newFlagSet("run", stderr)
	fs.BoolVar(&o.headless, "headless", false, "compose with the software device, open no window")
	fs.IntVar(&o.frames, "frames", 0, "stop after N composed frames (0: run until the modules exit)")
	fs.StringVar(&o.screenshot, "screenshot", "", "write the last composed frame to this PNG file")
	fs.Var(&o.env, "env", "KEY=VALUE for the guest environment (repeatable)")
	fs.Var(&o.dirs, "dir", "HOST::GUEST[:ro] directory to preopen (repeatable)")
	fs.StringVar(&o.home, "home", "", "Orbital home (default $ORBITAL_HOME, else ~/.local/share/orbital)")
	fs.StringVar(&o.memory, "memory", "256MiB", "linear-memory ceiling per process (e.g. 64MiB, 1GiB)")
	fs.DurationVar(&o.deadline, "deadline", kernel.DefaultDeadline, "longest a guest may run without calling the host (<0: none)")
	fs.StringVar(&o.size, "size", "1280x800", "headless desktop size WxH")
	fs.DurationVar(&o.timeout, "timeout", 0, "stop the modules after this long (0: no limit); for modules that draw once and wait")
	fs.StringVar(&o.input, "input", "", "scripted gamepad and mouse input for WASM-4 carts: lines of FRAME pad1=right+x mouse=X,Y buttons=left (see docs/design/wasm4.md)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: orbital run [flags] TARGET... [-- args...]")
		fmt.Fprintln(stderr, "TARGET is a .wasm file, a .js script or a module name ($ORBITAL_MODULES, modules/ beside the binary, the home's modules/).")
		fs.PrintDefaults()
	}
	if i := slices.Index(args, "--"); i >= 0 {
		args, o.args = args[:i], args[i+1:]
	}
	// Flags and targets may interleave: parse, take one target, parse the rest.
	for {
		if code, ok := parseFlags(fs, args); !ok {
			return o, code, false
		}
		if fs.NArg() == 0 {
			break
		}
		o.targets = append(o.targets, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(o.targets) == 0 {
		fmt.Fprintln(stderr, "orbital run: no TARGET given; usage: orbital run [flags] TARGET... [-- args...]")
		return o, exitUsage, false
	}
	if o.frames < 0 {
		fmt.Fprintf(stderr, "orbital run: --frames %d: must be 0 or more\n", o.frames)
		return o, exitUsage, false
	}
	return o, 0, true
}

func runVerb(args []string, stdout, stderr io.Writer) int {
	o, code, ok := parseRunFlags(args, stderr)
	if !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "orbital: "+format+"\n", a...)
		return exitUsage
	}
	mem, err := policies.ParseSize(o.memory)
	if err != nil {
		return fail("--memory %s: %v", o.memory, err)
	}
	w, h, err := policies.ParseSurface(o.size)
	if err != nil {
		return fail("--size %s: %v", o.size, err)
	}
	dirs, err := system.ParseDirs(o.dirs)
	if err != nil {
		return fail("%v", err)
	}
	home, err := orbitalHome(o.home)
	if err != nil {
		return fail("%v", err)
	}
	for _, kv := range o.env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fail("--env %q: want KEY=VALUE", kv)
		}
	}
	// Catch SIGINT/SIGTERM from here on: one arriving while modules load is handled as soon as
	// they run (a graceful stop); a second one kills.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	// A bounded run (--frames: tests, screenshots) serves no admin panel; beside a running
	// instance of the home (orbital up, orbital shell) it runs as a guest (system.LockTry).
	in, err := system.New(system.Config{Home: home, Title: "orbital run", Stdout: stdout, Stderr: stderr,
		Limits: kernel.Limits{Memory: mem, Deadline: o.deadline}, Lock: system.LockTry, Drivers: true, Panel: o.frames == 0})
	if err == nil {
		err = in.Start(context.Background())
	}
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	}
	defer in.Close()
	// Load everything before starting anything: a bad TARGET starts nothing.
	mods := make([]*kernel.Module, len(o.targets))
	for i, t := range o.targets {
		if mods[i], err = in.Load(t); err != nil {
			return fail("%v", err)
		}
	}
	var script *wasm4.Script
	if o.input != "" {
		if script, err = readScript(o.input); err != nil {
			return fail("--input %s: %v", o.input, err)
		}
	}
	procs, err := in.Run(mods, system.RunOptions{Env: o.env, Dirs: dirs, Args: o.args, Stdin: system.ForegroundStdin(), Input: script})
	if err != nil {
		if me := (*kernel.ModuleError)(nil); errors.As(err, &me) {
			return fail("%v", err)
		}
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	}
	stopped, err := in.RunHeadless(procs, system.HeadlessOptions{Width: w, Height: h, Frames: o.frames,
		Timeout: o.timeout, Screenshot: o.screenshot, Signals: sigs})
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	}
	return exitCode(procs, stopped, stderr)
}

// exitCode is the first non-zero exit code in TARGET order, after reporting each process that
// crashed. A process that ended because run stopped it (frame budget, Ctrl-C) without crashing
// counts as 0. Crashes are 134 (as `wasmtime run` reports a trap), kills after the grace 137.
func exitCode(procs []*kernel.Process, stopped bool, stderr io.Writer) int {
	code := 0
	for _, p := range procs {
		in := p.Info()
		c := in.ExitCode
		switch {
		case in.State == kernel.Crashed:
			fmt.Fprintf(stderr, "orbital: %s[%d]: %s\n", in.Name, in.PID, in.Reason)
		case stopped:
			c = 0
		case c == kernel.ExitKilled:
			fmt.Fprintf(stderr, "orbital: %s[%d]: %s\n", in.Name, in.PID, in.Reason)
		}
		if code == 0 {
			code = c
		}
	}
	return code
}

func readScript(path string) (*wasm4.Script, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return wasm4.ParseScript(f)
}
