package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/orbital/orbital/compositor"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/shell"
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
	w, h, err := parseWxH(o.size)
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
	if err := os.MkdirAll(home, 0o755); err != nil {
		return fail("home %s: %v", home, err)
	}

	pst, err := policies.Open(home)
	if err != nil {
		return fail("%v", err)
	}
	scene := compositor.NewScene()
	display := newSIDDisplay(sceneDisplay{scene: scene, hidden: true})
	logs := newLogBook()
	clip := &shellClipboard{}                               // the desktop clipboard, once the shell exists (clipboard.go)
	launch := newLauncher(home, logs, os.Stdout, os.Stderr) // proc_spawn (launch.go)
	asker := &shellAsker{}                                  // questions at the doors (ask.go)
	k, err := kernel.New(kernel.Config{
		Home:      home,
		Policies:  pst,
		Display:   display,
		Clipboard: clip,
		Launcher:  launch,
		Asker:     asker,
		Log:       logs.hook(stderr),
	})
	if err != nil {
		fmt.Fprintf(stderr, "orbital shell: %v\n", err)
		return 1
	}
	names := moduleNames(home)
	denials, err := policies.OpenDenials(home)
	if err != nil {
		// Asked again, as if nothing had been denied; saving a new answer rewrites the file.
		fmt.Fprintf(stderr, "orbital shell: %v\n", err)
	}
	host := &shellHost{k: k, home: home, display: display, sources: openSources(home, maxDL), startWait: 10 * time.Second,
		completer: newCompleter(home, names), denials: denials}
	sh, err := shell.New(shell.Config{
		Scene: scene, Host: host, Home: home, Width: w, Height: h,
		Open: o.open, Screenshot: o.screenshot, Frames: o.frames, Log: stderr,
		Suggestions: names,
	})
	if err != nil {
		k.Close()
		fmt.Fprintf(stderr, "orbital shell: %v\n", err)
		return 1
	}
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
	asker.k.Store(k)
	host.onExit = func(in kernel.Info) {
		if in.State == kernel.Crashed {
			sh.ShowError(fmt.Sprintf("%s (pid %d) crashed: %s", in.Name, in.PID, in.Reason))
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopDrivers := startDrivers(k, home, stderr) // boot drivers (drivers.go)
	// The admin panel: sys.* on the bus (what orbital://admin shows), HTTP on 127.0.0.1 with a
	// per-boot token, and the control socket for orbital ps and kill.
	ctl := newKernelControl(k, logs, "orbital shell")
	host.ctl = ctl
	launch.bind(k, ctl)
	stopSys := startSysService(k, ctl, stderr)
	panel := startAdmin(home, ctl, "orbital shell", stderr)
	runErr := sh.Run(ctx)
	panel.Close()
	stopAll(k)
	stopSys()
	stopDrivers()
	k.Close()
	if runErr != nil {
		fmt.Fprintf(stderr, "orbital shell: %v\n", runErr)
		return 1
	}
	return 0
}

// moduleNames lists the modules a bare name opens (the directories of resolve.go's lookup
// order) that open a window, for the empty desktop's suggestions.
func moduleNames(home string) []string {
	dirs := []string{os.Getenv("ORBITAL_MODULES")}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dirs = append(dirs, filepath.Join(filepath.Dir(exe), "modules"))
	}
	dirs = append(dirs, filepath.Join(home, "modules"))
	seen := map[string]bool{}
	var names []string
	for _, d := range dirs {
		if d == "" {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(d, "*.wasm"))
		for _, f := range files {
			n := strings.TrimSuffix(filepath.Base(f), ".wasm")
			if !seen[n] && opensWindow(f) {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}

// opensWindow reports whether the module at path imports orbital.surface_create: only those
// are worth offering on the desktop (services and command-line modules draw nothing). It
// walks the binary's sections to the import section; anything unreadable counts as no.
func opensWindow(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil || len(data) < 8 || string(data[:4]) != "\x00asm" {
		return false
	}
	r := wasmReader{b: data[8:]}
	for len(r.b) > 0 {
		id := r.byte()
		size := int(r.uleb())
		if r.bad || size > len(r.b) {
			return false
		}
		sec := wasmReader{b: r.b[:size]}
		r.b = r.b[size:]
		if id != 2 { // not the import section
			continue
		}
		for n := sec.uleb(); n > 0 && !sec.bad; n-- {
			mod, name := sec.name(), sec.name()
			if mod == "orbital" && name == "surface_create" {
				return true
			}
			switch sec.byte() { // import description
			case 0, 4: // function or tag: a type index (tags have an attribute byte first)
				sec.uleb()
			case 1: // table: reftype, limits
				sec.byte()
				sec.limits()
			case 2: // memory: limits
				sec.limits()
			case 3: // global: valtype, mutability
				sec.byte()
				sec.byte()
			default:
				return false
			}
		}
		return false
	}
	return false
}

// wasmReader reads the few WebAssembly binary encodings opensWindow needs.
type wasmReader struct {
	b   []byte
	bad bool
}

func (r *wasmReader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *wasmReader) uleb() uint64 {
	var v uint64
	for shift := 0; shift < 64 && !r.bad; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.bad = true
	return 0
}

func (r *wasmReader) name() string {
	n := r.uleb()
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *wasmReader) limits() {
	flags := r.byte()
	r.uleb()
	if flags&1 != 0 {
		r.uleb()
	}
}

// stopAll asks every process to quit and waits (bounded) for them, so modules see a quit
// request rather than a kill when the shell closes.
func stopAll(k *kernel.Kernel) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for _, in := range k.List() {
		if !in.State.Done() {
			k.Kill(in.PID, false)
		}
	}
	for _, in := range k.List() {
		if !in.State.Done() {
			if _, err := k.Wait(ctx, in.PID); err != nil {
				k.Kill(in.PID, true)
			}
		}
	}
}
