package kernel

import (
	"io"
	"os"
	"strconv"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
	"github.com/orbital/orbital/storage"
)

// Config configures a Kernel. The zero value works and fails closed: no disk cache, a private
// bus, no display, and, without Policies, processes that may open no door at all (no bus, no
// surfaces, no network, no spawn, no clipboard). AllowAll opens every door instead.
type Config struct {
	// Home is the Orbital home; compiled modules are cached in Home/cache/compiled. Empty
	// disables the disk cache.
	Home string
	// Compile bounds what a module may ask of the compiler (module size, functions, body size,
	// locals and other counts); zero fields take registry.DefaultWasmLimits. A module over them
	// is refused before it compiles, with the count and the limit.
	Compile registry.WasmLimits
	// CacheMemory and CacheDisk bound the compile cache in memory and in Home/cache/compiled
	// (the fuel engine's entries included); least recently used entries are evicted past them.
	// Zero: DefaultCacheMemory, DefaultCacheDisk.
	CacheMemory, CacheDisk int64
	// Bus carries every process's inbox. Nil makes a private bus with default settings and the
	// kernel's policy check; a bus of the embedder's is accepted only with AllowAll (it has no
	// way to carry the check).
	Bus *bus.Bus
	// Display receives guest surfaces. Nil: surface_create returns ERR_DENIED.
	Display Display
	// Clipboard backs clipboard_read and clipboard_write (host_clip.go): the shell's desktop
	// clipboard, or a MemClipboard for headless runs. Nil: both return ERR_NOT_FOUND.
	Clipboard Clipboard
	// Sound plays WASM-4 carts' tones (cart_sound.go): the system's audio output. Nil: a
	// tone is counted and traced only.
	Sound Sound
	// Storage backs the kv_* host functions (host_kv.go): durable key-value storage per module.
	// Nil: they return ERR_INTERNAL after the door (a policy must grant [storage] kv first).
	Storage *storage.Store
	// Launcher finds the modules guests start with proc_spawn (host_proc.go). Nil: proc_spawn
	// returns ERR_NOT_FOUND.
	Launcher Launcher
	// Services delivers the calls of services by name that guests make with the call host
	// function (host_call.go, service.go): system's service manager. Nil: call returns
	// ERR_NOT_FOUND after the door.
	Services Services
	// Cluster, when set, is the door to the other nodes of a cluster: proc_spawn_at and
	// node_pid (host_cluster.go). Nil: both answer ERR_NOT_FOUND.
	Cluster Cluster
	// Asker, when set, is asked when policy refuses a process something the user may allow
	// at once (a fetch, a spawn, the clipboard): the shell's permission prompt (ask.go).
	Asker Asker
	// Limits applies to processes whose SpawnOptions leave a limit zero.
	Limits Limits
	// Tick is the epoch period: how often a running guest is checked for kill and deadline.
	// Default 10 ms.
	Tick time.Duration
	// QuitGrace is how long Kill waits after the quit request before interrupting the guest.
	// Default 2 s.
	QuitGrace time.Duration
	// ReloadGrace is how long code a reload brings must run without crashing before the
	// reload is final; a crash within it rolls the process back to the old code (reload.go).
	// Default 5 s.
	ReloadGrace time.Duration
	// Policies, when set, gives every process a namespace from policy files and enforces it at
	// every door (namespace.go). Nil: every door is closed, unless AllowAll.
	Policies *policies.Store
	// AllowAll turns policy enforcement off: every process may do everything the embedder
	// lets it (SpawnOptions.UI, Launcher, Clipboard). For tests and embedders with their own
	// rules; ignored when Policies is set.
	AllowAll bool
	// Libraries resolves the libraries modules import (library.go). Nil: the registry in
	// Home, if Home is set.
	Libraries LibraryResolver
	// Log receives guest log lines (the `log` host function) and the kernel's lines about a
	// process, every one escaped first: one call is one line without control characters
	// (logtext.go). Default: stderr.
	Log func(pid bus.PID, name string, level int, line string)
}

// Limits are per-process resource limits.
type Limits struct {
	Memory   int64         // linear-memory ceiling in bytes; default 256 MiB
	Deadline time.Duration // longest a guest may run without returning to the host; <0 none; default 10 s
	Surfaces int           // surfaces a process may hold at once; default 8
	Inbox    bus.InboxLimits
	// Fuel is the lifetime budget of wasm fuel units (about one per instruction); 0, the
	// default, runs unmetered. A metered process runs on the kernel's fuel engine (fuel.go)
	// and ends as crashed, "out of fuel", when the budget is spent.
	Fuel uint64
	// TreeProcs and TreeMemory are the budget of the process tree this process roots (tree.go):
	// processes alive besides the root, and bytes of memory and tables of all of them
	// together. Only a root's count; defaults 64 and four times the root's Memory.
	TreeProcs  int
	TreeMemory int64
	// CPU is the share of one core, in percent, the guest's code may use (cpushare.go);
	// 0 or 100 and above: no cap.
	CPU int
}

// Default limits.
const (
	DefaultMemory   = 256 << 20
	DefaultDeadline = 10 * time.Second
	DefaultSurfaces = 8
)

func (l Limits) withDefaults(d Limits) Limits {
	if l.Memory == 0 {
		l.Memory = d.Memory
	}
	if l.Deadline == 0 {
		l.Deadline = d.Deadline
	}
	if l.Surfaces == 0 {
		l.Surfaces = d.Surfaces
	}
	if l.Inbox == (bus.InboxLimits{}) {
		l.Inbox = d.Inbox
	}
	if l.Fuel == 0 {
		l.Fuel = d.Fuel
	}
	if l.CPU == 0 {
		l.CPU = d.CPU
	}
	if l.TreeProcs == 0 {
		l.TreeProcs = d.TreeProcs
	}
	if l.TreeMemory == 0 {
		l.TreeMemory = d.TreeMemory // 0 still: four times Memory (tree.go)
	}
	return l
}

func (c Config) withDefaults() Config {
	c.Limits = c.Limits.withDefaults(Limits{Memory: DefaultMemory, Deadline: DefaultDeadline, Surfaces: DefaultSurfaces,
		TreeProcs: DefaultTreeProcs})
	if c.Tick <= 0 {
		c.Tick = 10 * time.Millisecond
	}
	if c.QuitGrace <= 0 {
		c.QuitGrace = 2 * time.Second
	}
	if c.ReloadGrace <= 0 {
		c.ReloadGrace = 5 * time.Second
	}
	if c.Log == nil {
		c.Log = func(pid bus.PID, name string, level int, line string) {
			io.WriteString(os.Stderr, name+"["+strconv.Itoa(int(pid))+"] "+levelName(level)+": "+line+"\n")
		}
	}
	c.Log = escapingLog(c.Log) // guests' text never reaches a terminal unescaped (logtext.go)
	return c
}

// SpawnOptions describe one process: its name, WASI view of the world and limits.
type SpawnOptions struct {
	Name    string   // shown in the process table; default: the module's name
	Version string   // the module's version from its manifest, if any, for the process table
	Args    []string // argv after argv[0] (argv[0] is Name)
	Env     []string // KEY=VALUE
	Dirs    []Preopen
	Stdout  string // file path for the guest's stdout; "" inherits the kernel's stdout
	Stderr  string // as Stdout, for stderr
	// Stdin is what the guest reads from WASI stdin (wasi.go: through a pipe, so a kill ends a
	// blocked read); its end is the guest's end of input. Nil: stdin is empty.
	Stdin  io.Reader
	Limits Limits
	UI     bool // may create surfaces (the namespace's ui grant)
	// Policy identity (used with Config.Policies): the manifest's publisher key and requested
	// permissions (nil: a bare .wasm, which gets exactly what policy grants), and the spawning
	// process, whose namespace bounds this one's (0: none).
	Publisher string
	Requests  *policies.Grants
	Parent    bus.PID
	// Bound is the namespace of a parent on another node of a cluster (proc_spawn_at there):
	// the process gets at most these grants, and at most this kernel's policy. A kernel that
	// checks no policy (AllowAll) refuses such a spawn rather than run it unbounded.
	Bound *policies.Grants
	// Script, when set, is the program the module (an interpreter: the JavaScript engine)
	// runs, handed over with script_read (script.go). Name the process after the script: its
	// policy identity is Name, as for any module.
	Script *Script
	// Grants are the user's own grants for this run, added on top of policy (a shell prompt
	// answered "allow once"); nil: none. Dirs and Env above are the user's too.
	Grants *policies.Grants
	// Cart shapes a WASM-4 cart's run (scripted input, window scale); other modules ignore it.
	Cart CartOptions
}

// Preopen maps a host directory into the guest's WASI filesystem.
type Preopen struct {
	Host, Guest string
	ReadOnly    bool
}

func levelName(l int) string {
	switch l {
	case 0:
		return "debug"
	case 1:
		return "info"
	case 2:
		return "warn"
	case 3:
		return "error"
	}
	return "log"
}
