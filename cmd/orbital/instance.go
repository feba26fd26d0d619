package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"syscall"
	"text/tabwriter"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/compositor"
	"github.com/orbital/orbital/drivers"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/shell"
	"github.com/orbital/orbital/system"
)

// The verbs that run the home's instance: orbital shell (with the desktop) and orbital up
// (without one); orbital drivers lists the native drivers it runs.

// GLFW and the GL context must live on the process's main thread. init runs on the main
// goroutine, and locking it here keeps main() (and so the shell's loop) on that thread.
func init() { runtime.LockOSThread() }

func shellVerb(c *command, args []string) int {
	var open multiFlag
	c.Var(&open, "open", "open this module name, path or URL at start (repeatable)")
	c.withHome()
	screenshot := c.String("screenshot", "", "write the window's pixels to this PNG after --frames frames, then exit")
	frames := c.Int("frames", 60, "frames to draw, once the --open modules have started, before --screenshot is taken")
	size := c.String("size", "1280x800", "window size WIDTHxHEIGHT")
	maxDL := c.size("max-download", 64<<20, "largest module the URL bar downloads")
	httpAddr := c.String("http", "127.0.0.1:0", "serve the modules' HTTP routes on this loopback address (\"\": none)")
	mute := c.Bool("mute", false, "play no sound: WASM-4 carts' tones are counted and traced only (also $ORBITAL_MUTE=1)")
	home, code, ok := c.parseHome(args, 0, -1)
	if !ok {
		return code
	}
	open = append(open, c.Args()...) // `orbital clock` style: stray words are modules to open
	w, h, err := policies.ParseSurface(*size)
	if err != nil {
		return c.failf(exitUsage, "--size %s: %v", *size, err)
	}
	if *screenshot != "" && *frames < 1 {
		return c.failf(exitUsage, "--frames %d: must be 1 or more with --screenshot", *frames)
	}
	scene, host := compositor.NewScene(), &shellHost{}
	sh, err := shell.New(shell.Config{Scene: scene, Host: host, Home: home, Width: w, Height: h,
		Open: open, Screenshot: *screenshot, Frames: *frames, Log: c.stderr, Suggestions: system.WindowModules(home)})
	if err != nil {
		return c.fail(err)
	}
	cfg := system.Config{Home: home, Title: "orbital shell", Stdout: os.Stdout, Stderr: c.stderr,
		Scene: scene, HiddenSurfaces: true, Clipboard: sh, Notice: sh.ShowNotice, Alert: sh.ShowError, MaxDownload: *maxDL,
		Lock: system.LockRequired, Drivers: true, Panel: true, Triggers: true, HTTP: *httpAddr, Sound: system.DesktopSound(*mute)}
	if *screenshot == "" {
		cfg.Prompt = sh.Ask // a --screenshot run has nobody to answer: policy alone decides
	}
	ctx, stop := signalContext()
	defer stop()
	in, code := c.start(cfg)
	if in == nil {
		return code
	}
	defer in.Close()
	host.in = in
	if err := sh.Run(ctx); err != nil {
		return c.fail(err)
	}
	return 0
}

func upVerb(c *command, args []string) int {
	var cl system.ClusterConfig
	c.withHome().StringVar(&cl.Listen, "cluster-listen", "", "run an embedded NATS server for the cluster on HOST:PORT")
	c.StringVar(&cl.Advertise, "cluster-advertise", "", "the HOST:PORT other nodes reach --cluster-listen at (required when it listens on 0.0.0.0)")
	c.StringVar(&cl.Join, "join", "", "join the cluster at nats://TOKEN@HOST:PORT (orbital cluster token prints it)")
	c.StringVar(&cl.Node, "node", "", "this node's name in the cluster (default the host name)")
	httpAddr := c.String("http", "127.0.0.1:0", "serve the modules' HTTP routes on this loopback address (\"\": none)")
	home, code, ok := c.parseHome(args, 0, 0)
	if !ok {
		return code
	}
	if cl.Node != "" && cl.Listen == "" && cl.Join == "" {
		return c.failf(exitUsage, "--node names a cluster node: give --cluster-listen HOST:PORT or --join URL too")
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	cfg := system.Config{Home: home, Title: "orbital up", Stdout: c.stdout, Stderr: c.stderr,
		Lock: system.LockRequired, Drivers: true, Panel: true, Triggers: true, HTTP: *httpAddr}
	if cl.Listen != "" || cl.Join != "" {
		cfg.Cluster = &cl
	}
	in, code := c.start(cfg)
	if in == nil {
		return code
	}
	if n := in.Node(); n != nil {
		fmt.Fprintf(c.stderr, "orbital up: node %s of a cluster at %s\n", n.Name(), n.Addr())
	}
	fmt.Fprintf(c.stderr, "orbital up: running (pid %d, home %s, admin panel %s, http %s); Ctrl-C stops it\n", os.Getpid(), home, in.PanelURL(), in.HTTPURL())
	s := <-sigs
	fmt.Fprintf(c.stderr, "orbital up: %v: stopping\n", s)
	in.Close()
	return 0
}

// start makes and starts the instance cfg describes; a failure is nil and the exit code: 2
// for a bad config or a home another instance holds (naming its pid), 1 otherwise.
func (c *command) start(cfg system.Config) (*system.Instance, int) {
	in, err := system.New(cfg)
	if err == nil {
		err = in.Start(context.Background())
	}
	switch {
	case err == nil:
		return in, 0
	case in == nil, errors.As(err, new(*system.LockedError)):
		return nil, c.failf(exitUsage, "%v", err)
	}
	return nil, c.fail(err)
}

// shellHost is the shell's view of the instance: it opens what the bar says, routes input
// events to processes and stops them. Its fields are set before the instance starts.
type shellHost struct{ in *system.Instance }

// Open implements shell.Host.
func (h *shellHost) Open(ctx context.Context, text string, progress func(done, total int64)) (uint32, error) {
	p, err := h.in.Open(ctx, text, system.OpenOptions{Progress: progress})
	if err != nil {
		return 0, err
	}
	return uint32(p.PID()), nil
}

// PostEvent implements shell.Host.
func (h *shellHost) PostEvent(pid uint32, ev shell.Event) error {
	return h.in.PostEvent(bus.PID(pid), ev.Surface, kernel.Event{Type: uint32(ev.Type), X: ev.X, Y: ev.Y,
		Code: ev.Code, Modifiers: ev.Mods, DX: ev.DX, DY: ev.DY})
}

// Kill implements shell.Host: a quit request, forced after the kernel's grace period.
func (h *shellHost) Kill(pid uint32) error { return h.in.CloseWindow(bus.PID(pid)) }

// Complete implements shell.Completer.
func (h *shellHost) Complete(ctx context.Context, text string) ([]shell.Completion, error) {
	cs, err := h.in.Complete(ctx, text)
	out := make([]shell.Completion, len(cs))
	for i, c := range cs {
		out[i] = shell.Completion(c)
	}
	return out, err
}

var (
	_ shell.Host      = (*shellHost)(nil)
	_ shell.Completer = (*shellHost)(nil)
)

// orbital drivers: the installed driver packages and the drivers running orbital processes
// supervise (system starts the boot drivers).
func driversVerb(c *command, args []string) int {
	home, code, ok := c.withHome().parseHome(args, 0, 0)
	if !ok {
		return code
	}
	list, err := system.InstalledDriversOf(home)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintln(c.stdout, "installed drivers:")
	if len(list) == 0 {
		fmt.Fprintln(c.stdout, "  none (install a driver package with `orbital install DIR|FILE|URL`)")
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	if len(list) > 0 {
		fmt.Fprintln(tw, "  NAME\tVERSION\tBOOT\tRESTART\tDIGEST\tSTATUS")
	}
	for _, d := range list {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%.19s\t%s\n", d.Rec.Name, d.Rec.Version, d.Boot(), d.Restart(), d.Rec.EntryDigest, d.Status())
	}
	tw.Flush()
	running := system.RunningDrivers(home)
	fmt.Fprintln(c.stdout, "\nrunning drivers:")
	if len(running) == 0 {
		fmt.Fprintln(c.stdout, "  none (drivers run inside `orbital run` and `orbital shell`)")
	}
	for _, p := range slices.Sorted(maps.Keys(running)) {
		fmt.Fprintf(c.stdout, "  in orbital process %d:\n", p)
		drivers.WriteList(c.stdout, running[p])
	}
	return 0
}
