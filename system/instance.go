package system

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/cluster"
	"github.com/orbital/orbital/compositor"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
	"github.com/orbital/orbital/storage"
)

// Config configures an Instance. Home is required; the parts to start are opt-in.
type Config struct {
	Home  string // the Orbital home, absolute (Home resolves --home and the environment)
	Title string // names the instance in the panel and in pid 0's row: "orbital up"
	// Stdout and Stderr receive the modules' output (echoed) and the instance's messages.
	// Default: os.Stdout, os.Stderr.
	Stdout, Stderr io.Writer
	// Scene receives module surfaces (nil: a scene of the instance's own, for headless
	// runs). HiddenSurfaces creates them hidden: the shell shows each once it placed it.
	Scene          *compositor.Scene
	HiddenSurfaces bool
	// Clipboard backs the clipboard doors (nil: one in-memory clipboard shared by the
	// instance's modules). Prompt asks the user about permissions, at open and at the doors
	// (ask.go; nil: policy alone decides); Notice shows the user one line (where an answer
	// was saved), Alert one failure (a process opened from the bar that crashed after start).
	Clipboard     kernel.Clipboard
	Prompt        Prompt
	Notice, Alert func(msg string)
	Limits        kernel.Limits // per-process defaults (kernel.Config.Limits)
	// MaxDownload caps a module the URL bar downloads (default 64 MiB).
	MaxDownload int64
	// Lock says what to do with the home's lock (one instance per home).
	Lock LockMode
	// Sound says what happens to WASM-4 carts' tones (sound.go); the zero value counts and
	// traces them only.
	Sound SoundMode
	// Drivers starts the boot drivers, Panel the admin panel (HTTP and the control socket),
	// Triggers the installed modules' triggers (boot, schedules, tasks, topics) under their
	// restart policies: what `orbital up` and `orbital shell` run. Each only when the instance
	// holds the home's lock.
	Drivers, Panel, Triggers bool
	// Cluster, when set, makes the instance (as the home's owner) a node of a cluster.
	Cluster *ClusterConfig
	// HTTP serves the modules' HTTP routes on this loopback address ("127.0.0.1:0" picks a
	// free port; its URL goes to run/http.url) when the instance holds the home's lock; ""
	// serves none.
	HTTP string
	// WrapServices, when set, wraps the instance's dispatcher of calls by name (which runs
	// the services here: services.go) in one of the embedder's: a cluster routes calls to
	// services other nodes run. Every call (guests', Call's) goes through what it returns.
	WrapServices func(local kernel.Services) kernel.Services
}

// DefaultMaxDownload caps an http(s) download opened from the bar.
const DefaultMaxDownload = 64 << 20

// Instance is one running Orbital: bus, kernel, registry, policies, drivers, the admin panel
// and the books (audit, logs) of one home. New prepares it, Start starts it, Close ends it.
type Instance struct {
	cfg     Config
	scene   *compositor.Scene
	display *display
	logs    *logBook

	// Set by Start, read-only after it.
	lock    *homeLock
	pst     *policies.Store
	reg     *registry.Registry
	store   *storage.Store // modules' key-value storage
	k       *kernel.Kernel
	ctl     *controller
	sys     *admin.Service
	drivers *driverSet
	panel   *adminPanel
	http    *httpServer                     // the modules' HTTP routes (httproutes.go)
	routed  atomic.Pointer[map[string]bool] // the modules the route table names: services for the dispatcher (httpdeliver.go)
	sup     *supervisor
	node    atomic.Pointer[cluster.Node] // nil without a cluster; set by Start, read by the panel meanwhile
	svc     *services                    // the dispatcher of calls by name (services.go)
	calls   atomic.Value                 // kernel.Services: svc, or what Config.WrapServices made of it
	undo    []func()                     // what Start started, undone in reverse by Close or a failed Start

	mu      sync.Mutex
	procs   map[bus.PID]*procRecord // every process the instance started, while it is in the table
	outputs map[*capture]struct{}   // captures whose process may still write
	pending map[bus.PID]*capture    // a proc_spawn child's capture, by parent, until Started
	// consoles are the console windows of programs opened from the bar (console.go), until
	// the user closes them.
	consoles map[*compositor.Surface]*consoleWin

	js  jsEngine // the JavaScript engine, once a script ran (script.go)
	ask asking   // the answers Deny (ask.go)

	windowsOnce sync.Once
	windows     []string // WindowModules
	started     bool
	closed      bool
}

// procRecord is what the instance knows about a process beyond the kernel's table: how it was
// started (to start it again) and what the panel shows of its history.
type procRecord struct {
	module    *kernel.Module
	opts      kernel.SpawnOptions // identity resolved, output not yet bound
	startedBy string
	restarts  int
	lastExit  string
}

// New prepares an instance of cfg.Home. It starts nothing and touches no file.
func New(cfg Config) (*Instance, error) {
	if cfg.Home == "" || !filepath.IsAbs(cfg.Home) {
		return nil, fmt.Errorf("system: home %q: want an absolute path (system.Home resolves one)", cfg.Home)
	}
	if cfg.Title == "" {
		cfg.Title = "orbital"
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if cfg.Scene == nil {
		cfg.Scene = compositor.NewScene()
	}
	if cfg.Clipboard == nil {
		cfg.Clipboard = &kernel.MemClipboard{}
	}
	if cfg.MaxDownload <= 0 {
		cfg.MaxDownload = DefaultMaxDownload
	}
	return &Instance{
		cfg: cfg, scene: cfg.Scene, display: newDisplay(cfg.Scene, cfg.HiddenSurfaces), logs: newLogBook(),
		procs: map[bus.PID]*procRecord{}, outputs: map[*capture]struct{}{}, pending: map[bus.PID]*capture{},
		consoles: map[*compositor.Surface]*consoleWin{},
	}, nil
}

// Start takes the home's lock (Config.Lock), opens the policies and the registry, makes the
// kernel and starts, in order, the sys.* bus service, the boot drivers, the admin panel and
// the triggers.
// A failure of the lock, the policies, the registry or the kernel undoes what already
// started and is returned; a panel, bus service or driver that fails is reported on Stderr
// and the instance runs without it. Start runs once.
func (in *Instance) Start(ctx context.Context) (err error) {
	in.mu.Lock()
	if in.started {
		in.mu.Unlock()
		return errors.New("system: Start called twice")
	}
	in.started = true
	in.mu.Unlock()
	defer func() {
		if err != nil {
			in.rollback()
		}
	}()
	home := in.cfg.Home
	if err := os.MkdirAll(home, 0o755); err != nil {
		return fmt.Errorf("home %s: %w", home, err)
	}
	if err := in.takeLock(); err != nil {
		return err
	}
	if in.pst, err = policies.Open(home); err != nil {
		return err
	}
	if in.reg, err = registry.Open(home); err != nil {
		return err
	}
	in.store = storage.Open(filepath.Join(home, "storage"))
	in.undo = append(in.undo, func() { in.store.Close() }) // after the kernel's processes released it
	in.k, err = kernel.New(kernel.Config{
		Home: home, Policies: in.pst, Display: in.display, Clipboard: in.cfg.Clipboard, Storage: in.store,
		Launcher: launcher{in}, Asker: in.kernelAsker(), Services: instanceCalls{in}, Cluster: clusterDoor{in}, Sound: in.sound(), Limits: in.cfg.Limits, Log: in.logs.hook(in.cfg.Stderr),
	})
	if err != nil {
		return err
	}
	in.undo = append(in.undo, in.k.Close)
	in.ctl = newController(in)
	in.startSysService()
	if in.Owner() && in.cfg.Drivers {
		in.startDrivers()
	}
	if in.Owner() && in.cfg.Panel {
		in.startPanel()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	in.startSupervisor()
	if in.Owner() && in.cfg.HTTP != "" {
		in.startHTTP(in.cfg.HTTP)
	}
	if in.Owner() && in.cfg.Cluster != nil {
		if err := in.startCluster(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (in *Instance) takeLock() error {
	l, err := lockHome(in.cfg.Home)
	var locked *LockedError
	switch {
	case err == nil:
		in.lock = l
		in.undo = append(in.undo, l.release)
		return nil
	case in.cfg.Lock == LockTry && errors.As(err, &locked):
		fmt.Fprintf(in.cfg.Stderr, "%s: %v; running beside it without boot drivers, admin panel or control socket\n", in.cfg.Title, err)
		return nil
	}
	return err
}

// rollback undoes what Start started, newest first.
func (in *Instance) rollback() {
	for i := len(in.undo) - 1; i >= 0; i-- {
		in.undo[i]()
	}
	in.undo = nil
}

// Owner reports whether the instance holds its home's lock (orbital run beside a running
// orbital up does not).
func (in *Instance) Owner() bool { return in.lock != nil }

// Home is the instance's Orbital home.
func (in *Instance) Home() string { return in.cfg.Home }

// Kernel is the instance's kernel (nil before Start).
func (in *Instance) Kernel() *kernel.Kernel { return in.k }

// Scene is where the instance's module surfaces are composed.
func (in *Instance) Scene() *compositor.Scene { return in.scene }

// PanelURL is the admin panel's address, "" when it does not run.
func (in *Instance) PanelURL() string { return in.panel.URL() }

// Close ends the instance, in one order: the triggers and restarts (nothing new starts), the
// admin panel (no more actions), a quit request to every module and, after grace, a forced
// stop of those still running; then the topic relays, the bus service, the drivers (after the
// modules that used them), the kernel, and the home's lock, once the modules' last output
// lines are read (at most 2 s). Twice is harmless.
func (in *Instance) Close() {
	in.mu.Lock()
	if in.closed || !in.started {
		in.closed = true
		in.mu.Unlock()
		return
	}
	in.closed = true
	in.mu.Unlock()
	if in.svc != nil {
		in.svc.close() // no idle stop or background start from here on
	}
	if in.sup != nil {
		in.sup.close() // no trigger or restart starts anything from here on
	}
	if in.panel != nil {
		in.panel.Close()
	}
	if in.http != nil {
		in.http.close() // no new requests while the modules stop
	}
	if in.k != nil {
		in.StopAll(3 * time.Second)
	}
	in.rollback()
	if in.sup != nil {
		in.sup.wait() // its watchers return once their processes ended, which the kernel's Close ensured
	}
	in.waitOutputs(2 * time.Second)
	in.closeConsoles()
}

// StopAll asks every running process to quit and waits up to grace for them; those still
// running then are killed.
func (in *Instance) StopAll(grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	var live []*kernel.Process
	for _, info := range in.k.List() {
		if p := in.k.Process(info.PID); p != nil && !info.State.Done() {
			in.k.Kill(p.PID(), false)
			live = append(live, p)
		}
	}
	for _, p := range live {
		if _, err := p.Wait(ctx); err != nil {
			in.k.Kill(p.PID(), true)
		}
	}
}

// Stop ends pid: a quit request and, after the kernel's grace period, a forced stop (force:
// at once). A process that already ended is not an error.
func (in *Instance) Stop(pid bus.PID, force bool) error {
	err := in.k.Kill(pid, force)
	if errors.Is(err, kernel.ErrNoProcess) {
		return nil
	}
	return err
}

// errorf reports a problem that does not stop the instance.
func (in *Instance) errorf(format string, a ...any) {
	fmt.Fprintf(in.cfg.Stderr, in.cfg.Title+": "+format+"\n", a...)
}
