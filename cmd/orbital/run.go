package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/system"
)

func runVerb(c *command, args []string) int {
	var env, dirs multiFlag
	c.Bool("headless", false, "compose with the software device, open no window (every run does; kept for scripts)")
	frames := c.Int("frames", 0, "stop after N composed frames (0: run until the modules exit)")
	screenshot := c.String("screenshot", "", "write the last composed frame to this PNG file")
	c.Var(&env, "env", "KEY=VALUE for the guest environment (repeatable)")
	c.Var(&dirs, "dir", "HOST::GUEST[:ro] directory to preopen (repeatable)")
	c.withHome()
	memory := c.size("memory", 256<<20, "linear-memory ceiling per process (e.g. 64MiB, 1GiB)")
	deadline := c.Duration("deadline", kernel.DefaultDeadline, "longest a guest may run without calling the host (<0: none)")
	size := c.String("size", "1280x800", "headless desktop size WxH")
	timeout := c.Duration("timeout", 0, "stop the modules after this long (0: no limit); for modules that draw once and wait")
	input := c.String("input", "", "scripted gamepad and mouse input for WASM-4 carts: lines of FRAME pad1=right+x mouse=X,Y buttons=left (see docs/design/wasm4.md)")
	mute := c.Bool("mute", false, "play no sound: WASM-4 carts' tones are counted and traced only (also $ORBITAL_MUTE=1)")
	var targets, guestArgs []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, guestArgs = args[:i], args[i+1:]
	}
	for { // flags and targets may interleave: parse, take one target, parse the rest
		if code, ok := c.parse(args, 0, -1); !ok {
			return code
		}
		if c.NArg() == 0 {
			break
		}
		targets = append(targets, c.Arg(0))
		args = c.Args()[1:]
	}
	// Errors of the run itself are "orbital: ..." (TARGETs are named in the message).
	fail := func(code int, err error) int { fmt.Fprintf(c.stderr, "orbital: %v\n", err); return code }
	if len(targets) == 0 {
		return fail(exitUsage, errors.New("no TARGET given; usage: orbital run [flags] TARGET... [-- args...]"))
	}
	if *frames < 0 {
		return c.failf(exitUsage, "--frames %d: must be 0 or more", *frames)
	}
	w, h, err := policies.ParseSurface(*size)
	if err != nil {
		return fail(exitUsage, fmt.Errorf("--size %s: %v", *size, err))
	}
	preopens, err := system.ParseDirs(dirs)
	if err == nil {
		err = system.CheckEnv(env)
	}
	home, herr := c.homeDir()
	if err = errors.Join(err, herr); err != nil {
		return fail(exitUsage, err)
	}
	// Catch SIGINT/SIGTERM from here on: one arriving while modules load is handled as soon as
	// they run (a graceful stop); a second one kills.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	// A bounded run (--frames: tests, screenshots) serves no admin panel; beside a running
	// instance of the home (orbital up, orbital shell) it runs as a guest (system.LockTry).
	in, err := system.New(system.Config{Home: home, Title: "orbital run", Stdout: c.stdout, Stderr: c.stderr,
		Limits: kernel.Limits{Memory: *memory, Deadline: *deadline}, Lock: system.LockTry, Drivers: true, Panel: *frames == 0,
		Sound: system.DesktopSound(*mute)})
	if err == nil {
		err = in.Start(context.Background())
	}
	if err != nil {
		return fail(1, err)
	}
	defer in.Close()
	// Load everything before starting anything: a bad TARGET starts nothing.
	mods := make([]*kernel.Module, len(targets))
	for i, t := range targets {
		if mods[i], err = in.Load(t); err != nil {
			return fail(exitUsage, err)
		}
	}
	script, err := system.ReadInput(*input)
	if err != nil {
		return fail(exitUsage, err)
	}
	procs, err := in.Run(mods, system.RunOptions{Env: env, Dirs: preopens, Args: guestArgs, Stdin: system.ForegroundStdin(), Input: script})
	if errors.As(err, new(*kernel.ModuleError)) {
		return fail(exitUsage, err)
	} else if err != nil {
		return fail(1, err)
	}
	stopped, err := in.RunHeadless(procs, system.HeadlessOptions{Width: w, Height: h, Frames: *frames,
		Timeout: *timeout, Screenshot: *screenshot, Signals: sigs})
	if err != nil {
		return fail(1, err)
	}
	return exitCode(procs, stopped, c.stderr)
}

// exitCode is the first non-zero exit code in TARGET order, after reporting each process that
// crashed. A process that ended because run stopped it (frame budget, timeout, Ctrl-C) without
// crashing counts as 0; one that had ended by itself before keeps its code. Crashes are 134
// (as `wasmtime run` reports a trap), kills after the grace 137.
func exitCode(procs []*kernel.Process, stopped map[bus.PID]bool, stderr io.Writer) int {
	code := 0
	for _, p := range procs {
		in := p.Info()
		c := in.ExitCode
		if in.State == kernel.Crashed || (!stopped[in.PID] && c == kernel.ExitKilled) {
			fmt.Fprintf(stderr, "orbital: %s[%d]: %s\n", in.Name, in.PID, in.Reason)
		} else if stopped[in.PID] {
			c = 0
		}
		if code == 0 {
			code = c
		}
	}
	return code
}
