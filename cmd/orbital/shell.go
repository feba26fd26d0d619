package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/compositor"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/shell"
	"github.com/orbital/orbital/system"
)

func init() {
	// GLFW and the GL context must live on the process's main thread. init runs on the main
	// goroutine, and locking it here keeps main() (and so the shell's loop) on that thread.
	runtime.LockOSThread()
	register(verb{
		Name:  "shell",
		Usage: "shell [--open URL]... [--home DIR] [--screenshot F.png --frames N]",
		Short: "open the desktop shell (the default when orbital runs with no command)",
		Run:   shellVerb,
	})
}

type shellOptions struct {
	open       multiFlag
	home       string
	screenshot string
	frames     int
	size       string
	maxDL      string
	http       string
}

func shellVerb(args []string, stdout, stderr io.Writer) int {
	var o shellOptions
	fs := newFlagSet("shell", stderr)
	fs.Var(&o.open, "open", "open this module name, path or URL at start (repeatable)")
	fs.StringVar(&o.home, "home", "", "Orbital home (default $ORBITAL_HOME, else ~/.local/share/orbital)")
	fs.StringVar(&o.screenshot, "screenshot", "", "write the window's pixels to this PNG after --frames frames, then exit")
	fs.IntVar(&o.frames, "frames", 60, "frames to draw, once the --open modules have started, before --screenshot is taken")
	fs.StringVar(&o.size, "size", "1280x800", "window size WIDTHxHEIGHT")
	fs.StringVar(&o.maxDL, "max-download", "64MiB", "largest module the URL bar downloads")
	fs.StringVar(&o.http, "http", "127.0.0.1:0", "serve the modules' HTTP routes on this loopback address (\"\": none)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		// `orbital clock` style: treat stray words as modules to open.
		o.open = append(o.open, fs.Args()...)
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "orbital shell: "+format+"\n", a...)
		return exitUsage
	}
	w, h, err := policies.ParseSurface(o.size)
	if err != nil {
		return fail("--size %s: %v", o.size, err)
	}
	maxDL, err := policies.ParseSize(o.maxDL)
	if err != nil {
		return fail("--max-download %s: %v", o.maxDL, err)
	}
	if o.screenshot != "" && o.frames < 1 {
		return fail("--frames %d: must be 1 or more with --screenshot", o.frames)
	}
	home, err := orbitalHome(o.home)
	if err != nil {
		return fail("%v", err)
	}
	scene := compositor.NewScene()
	clip := &shellClipboard{} // the desktop clipboard, once the shell exists (clipboard.go)
	asker := &shellAsker{}    // questions at the doors (ask.go)
	in, err := system.New(system.Config{Home: home, Title: "orbital shell", Stdout: os.Stdout, Stderr: stderr,
		Scene: scene, HiddenSurfaces: true, Clipboard: clip, Asker: asker, MaxDownload: maxDL,
		Lock: system.LockRequired, Drivers: true, Panel: true, Triggers: true, HTTP: o.http})
	if err != nil {
		return fail("%v", err)
	}
	denials, err := policies.OpenDenials(home)
	if err != nil {
		// Asked again, as if nothing had been denied; saving a new answer rewrites the file.
		fmt.Fprintf(stderr, "orbital shell: %v\n", err)
	}
	host := &shellHost{in: in, denials: denials}
	sh, err := shell.New(shell.Config{
		Scene: scene, Host: host, Home: home, Width: w, Height: h,
		Open: o.open, Screenshot: o.screenshot, Frames: o.frames, Log: stderr,
		Suggestions: in.WindowModules(),
	})
	if err != nil {
		fmt.Fprintf(stderr, "orbital shell: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if code := startOrbital(in, "orbital shell", stderr); code != 0 {
		return code
	}
	defer in.Close()
	host.k = in.Kernel()
	clip.sh.Store(sh)
	host.notice = sh.ShowNotice
	if o.screenshot == "" {
		// A --screenshot run has nobody to answer: modules get what policy grants, unasked.
		host.prompt = sh.Prompt
		prompt := sh.Prompt
		asker.prompt.Store(&prompt)
	}
	notice := sh.ShowNotice
	asker.notice.Store(&notice)
	asker.k.Store(in.Kernel())
	host.onExit = func(in kernel.Info) {
		if in.State == kernel.Crashed {
			sh.ShowError(fmt.Sprintf("%s (pid %d) crashed: %s", in.Name, in.PID, in.Reason))
		}
	}
	if err := sh.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "orbital shell: %v\n", err)
		return 1
	}
	return 0
}

// startOrbital starts in and maps a failure to the exit code: 2 when another instance holds
// the home (naming its pid), 1 otherwise.
func startOrbital(in *system.Instance, verb string, stderr io.Writer) int {
	err := in.Start(context.Background())
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", verb, err)
	if le := (*system.LockedError)(nil); errors.As(err, &le) {
		return exitUsage
	}
	return 1
}

// shellHost is the shell's view of the instance: it opens what the bar says, routes input
// events to processes and stops them.
type shellHost struct {
	in     *system.Instance
	k      *kernel.Kernel // for the permission prompt (prompt.go)
	onExit func(info kernel.Info)
	// prompt, if set, asks the user about permissions a module requests beyond policy
	// (the shell's permission prompt); notice shows a one-line confirmation in the bar.
	prompt func(ctx context.Context, p shell.PermissionPrompt) (shell.Choice, error)
	notice func(msg string)
	// denials are the prompts answered Deny, kept in the home so a module version is asked
	// once (policies.Denials).
	denials *policies.Denials
}

// Open implements shell.Host: the instance opens text; a module asking for more than policy
// grants is asked about first (prompt.go).
func (h *shellHost) Open(ctx context.Context, text string, progress func(done, total int64)) (uint32, error) {
	p, err := h.in.Open(ctx, text, system.OpenOptions{Progress: progress, Ask: h.askPermissions,
		Notice: h.notice, Denied: deniedStart, OnExit: h.onExit})
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
