package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orbital/orbital/compositor"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
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
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: orbital run [flags] TARGET... [-- args...]")
		fmt.Fprintln(stderr, "TARGET is a .wasm file or a module name ($ORBITAL_MODULES, modules/ beside the binary, the home's modules/).")
		fs.PrintDefaults()
	}
	if i := indexOf(args, "--"); i >= 0 {
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

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
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
	w, h, err := parseWxH(o.size)
	if err != nil {
		return fail("--size %s: %v", o.size, err)
	}
	dirs, err := parseDirs(o.dirs)
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

	pst, err := policies.Open(home)
	if err != nil {
		return fail("%v", err)
	}
	// Catch SIGINT/SIGTERM from here on: one arriving while modules load is handled as soon as
	// they run (a graceful stop); a second one kills.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	scene := compositor.NewScene()
	logs := newLogBook()
	launch := newLauncher(home, logs, stdout, stderr) // proc_spawn (launch.go)
	k, err := kernel.New(kernel.Config{
		Home:      home,
		Policies:  pst,
		Display:   sceneDisplay{scene: scene},
		Clipboard: &kernel.MemClipboard{}, // headless: one clipboard shared by this run's modules
		Launcher:  launch,
		Limits:    kernel.Limits{Memory: mem, Deadline: o.deadline},
		Log:       logs.hook(stderr),
	})
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	}
	defer k.Close()
	ctl := newKernelControl(k, logs, "orbital run")
	launch.bind(k, ctl)
	defer startSysService(k, ctl, stderr)()
	if o.frames == 0 {
		// A long-running instance serves the admin panel and answers orbital ps; a bounded
		// run (--frames, tests and screenshots) does not.
		defer startAdmin(home, ctl, "orbital run", stderr).Close()
	}
	// Boot drivers (drivers.go) start before the modules, which may talk to them at once; they
	// stop before the kernel closes.
	defer startDrivers(k, home, stderr)()

	// Load everything before starting anything: a bad TARGET starts nothing.
	srcs := moduleSources(home)
	mods := make([]*kernel.Module, len(o.targets))
	for i, t := range o.targets {
		path, err := resolveTarget(t, srcs)
		if err != nil {
			return fail("%v", err)
		}
		if mods[i], err = k.LoadFile(path); err != nil {
			return fail("%v", err)
		}
	}
	var procs []*kernel.Process
	var outputs []*capture
	defer func() { waitOutputs(outputs, 2*time.Second) }()
	for i, m := range mods {
		so := kernel.SpawnOptions{Env: o.env, Dirs: dirs, UI: true}
		so.Version, so.Publisher, so.Requests, _ = installedIdentity(home, m.Digest) // manifest ∩ policy
		if i == len(mods)-1 {
			so.Args = o.args
		}
		out, err := logs.captureOutput(&so, stdout, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "orbital: %v\n", err)
			return 1
		}
		p, err := k.Spawn(m, so)
		if p != nil {
			out.bind(p.PID())
		} else {
			out.bind(0)
		}
		outputs = append(outputs, out)
		if err != nil {
			for _, q := range procs {
				k.Kill(q.PID(), true)
			}
			var me *kernel.ModuleError
			if errors.As(err, &me) {
				return fail("%v", err)
			}
			fmt.Fprintf(stderr, "orbital: %v\n", err)
			return 1
		}
		ctl.noteStart(p.PID(), "user (orbital run)")
		procs = append(procs, p)
	}

	r := &runner{k: k, scene: scene, dev: compositor.NewSoftware(w, h), procs: procs, stderr: stderr}
	r.loop(o.frames, o.timeout, sigs)
	if o.screenshot != "" {
		if err := r.screenshot(o.screenshot); err != nil {
			fmt.Fprintf(stderr, "orbital: screenshot: %v\n", err)
			return 1
		}
	}
	return r.exitCode()
}

// runner drives the processes of one `orbital run`: it composes frames while they run and
// stops them when the frame budget is spent or a signal arrives.
type runner struct {
	k       *kernel.Kernel
	scene   *compositor.Scene
	dev     *compositor.Software
	procs   []*kernel.Process
	stderr  io.Writer
	frames  int  // composed so far
	stopped bool // we asked the processes to stop (frame budget or signal)
}

const frameInterval = time.Second / 60

// loop composes on every scene change (at most 60 Hz) until every process has ended, the
// frame budget (maxFrames > 0) is spent, the timeout (> 0) passes, or SIGINT/SIGTERM arrives
// (a second signal kills).
func (r *runner) loop(maxFrames int, timeout time.Duration, sigs <-chan os.Signal) {
	allDone := make(chan struct{})
	go func() {
		for _, p := range r.procs {
			<-p.Done()
		}
		close(allDone)
	}()
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	var last time.Time
	for {
		select {
		case <-expired:
			r.stopAll()
		case <-allDone:
			// No final composition: an ended process's surfaces are gone, and the screenshot
			// should show the last frame they were on screen.
			return
		case <-sigs:
			if r.stopped {
				r.killAll(true)
			} else {
				r.stopAll()
			}
		case <-r.scene.Changed():
			if wait := frameInterval - time.Since(last); wait > 0 {
				time.Sleep(wait) // pace composition at 60 Hz; changes meanwhile fold into this frame
			}
			last = time.Now()
			if r.stopped {
				continue // keep the last frame of the budget as the screenshot
			}
			r.compose()
			r.frames++
			if maxFrames > 0 && r.frames >= maxFrames {
				r.stopAll()
			}
		}
	}
}

func (r *runner) compose() {
	if r.stopped {
		return
	}
	if err := r.dev.Compose(r.scene, nil); err != nil {
		fmt.Fprintf(r.stderr, "orbital: compose: %v\n", err)
	}
}

func (r *runner) stopAll() {
	r.stopped = true
	r.killAll(false)
}

func (r *runner) killAll(force bool) {
	for _, p := range r.procs {
		r.k.Kill(p.PID(), force)
	}
}

func (r *runner) screenshot(path string) error {
	if r.frames == 0 {
		r.dev.Compose(r.scene, nil)
	}
	if dir := filepath.Dir(path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("%s: directory %s does not exist", path, dir)
		}
	}
	return compositor.WritePNG(r.dev.Frame(), path)
}

// exitCode is the first non-zero exit code in TARGET order, after reporting each process that
// crashed. A process that ended because run stopped it (frame budget, Ctrl-C) without crashing
// counts as 0. Crashes are 134 (as `wasmtime run` reports a trap), kills after the grace 137.
func (r *runner) exitCode() int {
	code := 0
	for _, p := range r.procs {
		in := p.Info()
		c := in.ExitCode
		switch {
		case in.State == kernel.Crashed:
			fmt.Fprintf(r.stderr, "orbital: %s[%d]: %s\n", in.Name, in.PID, in.Reason)
		case r.stopped:
			c = 0
		case c == kernel.ExitKilled:
			fmt.Fprintf(r.stderr, "orbital: %s[%d]: %s\n", in.Name, in.PID, in.Reason)
		}
		if code == 0 {
			code = c
		}
	}
	return code
}

// orbitalHome is --home, else $ORBITAL_HOME, else $XDG_DATA_HOME/orbital, else
// ~/.local/share/orbital.
func orbitalHome(flagValue string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	if h := os.Getenv("ORBITAL_HOME"); h != "" {
		return filepath.Abs(h)
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "orbital"), nil
	}
	hd, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no Orbital home: set --home or $ORBITAL_HOME (%v)", err)
	}
	return filepath.Join(hd, ".local", "share", "orbital"), nil
}

func parseWxH(s string) (int, int, error) {
	ws, hs, ok := strings.Cut(s, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w < 1 || h < 1 || w > 8192 || h > 8192 {
		return 0, 0, errors.New("want WIDTHxHEIGHT, each 1..8192")
	}
	return w, h, nil
}

// parseDirs reads --dir HOST::GUEST[:ro] values.
func parseDirs(vals []string) ([]kernel.Preopen, error) {
	var out []kernel.Preopen
	for _, v := range vals {
		host, guest, ok := strings.Cut(v, "::")
		if !ok || host == "" || guest == "" {
			return nil, fmt.Errorf("--dir %q: want HOST::GUEST or HOST::GUEST:ro", v)
		}
		p := kernel.Preopen{Host: host, Guest: guest}
		if g, found := strings.CutSuffix(guest, ":ro"); found {
			p.Guest, p.ReadOnly = g, true
		}
		if st, err := os.Stat(host); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--dir %q: %s is not a directory", v, host)
		}
		out = append(out, p)
	}
	return out, nil
}
