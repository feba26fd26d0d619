package kernel

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
)

// State is where a process is in its life.
type State int32

const (
	Starting State = iota // store and instance being built
	Running               // executing guest code or a short host call
	Blocked               // waiting in a blocking host call (recv)
	Stopping              // a quit request was posted; the grace period runs
	Exited                // returned from _start or called proc_exit, or was killed
	Crashed               // trapped, overran a limit, or a host function panicked
)

var stateNames = [...]string{"starting", "running", "blocked", "stopping", "exited", "crashed"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// Uptime is how long the process ran (until now if it is still running).
func (in Info) Uptime() time.Duration {
	if in.Ended.IsZero() {
		return time.Since(in.Started)
	}
	return in.Ended.Sub(in.Started)
}

// Done reports whether the process has ended.
func (s State) Done() bool { return s == Exited || s == Crashed }

// Info is a snapshot of one process-table row: what `orbital ps` and the admin panel show.
type Info struct {
	PID      bus.PID
	Parent   bus.PID // the process that spawned it with proc_spawn (0: the embedder)
	Name     string
	Version  string // from SpawnOptions.Version (the manifest), may be empty
	Digest   string // sha256 of the module's bytes, hex (of the script's, for a SpawnOptions.Script)
	Kind     string // "app" (has _start) or "service" (reactor: _initialize)
	State    State
	Reason   string // why it ended, empty while alive
	ExitCode int    // meaningful once State.Done()
	Started  time.Time
	Ended    time.Time     // zero while alive
	CPU      time.Duration // thread CPU time, sampled by the process's own thread (cpu.go)
	// Throttled is how long the kernel held the guest back to keep it within Limits.CPU.
	Throttled time.Duration
	Memory    int64  // linear-memory size in bytes, sampled at host calls
	Fuel      uint64 // fuel units spent (metered processes: Limits.Fuel > 0), sampled at host calls and exit
	Limits    Limits
	Inbox     bus.InboxStats
	// Reloads counts the reloads in place this process went through (reload.go); Reload is
	// the last one's outcome in one line ("reloaded 1.0.0 -> 2.0.0 ...", "rolled back ...").
	Reloads int
	Reload  string
}

// Exit codes the kernel reports for processes that did not choose their own.
const (
	ExitCrashed = 134 // trap, limit or host panic: 128+SIGABRT, as `wasmtime run` reports a trap
	ExitKilled  = 137 // killed after the grace period: 128+SIGKILL
)

// Process is one running WASM module: its store, instance and thread. The guest's thread owns
// every wasmtime object of the process; other goroutines read Info and signal through the
// atomics and channels below.
type Process struct {
	k      *Kernel
	pid    bus.PID
	name   string
	module *Module
	eng    *engineSet    // the engine it runs on: the main one, or the fuel engine (fuel.go)
	code   *compiledCode // module and libraries compiled for eng
	opts   SpawnOptions  // in force: with defaults and the namespace applied
	inbox  *bus.Inbox
	stdin  *stdinPipe // SpawnOptions.Stdin's pipe (wasi.go), nil without one
	// fuelSrc says who set Limits.Fuel ("policy FILE:LINE", "SpawnOptions.Limits.Fuel"), for
	// the out-of-fuel reason.
	fuelSrc string

	// Owned by the process thread.
	store    *wasmtime.Store
	memory   *wasmtime.Memory
	surfaces map[int32]*surfaceSlot
	nextSID  int32
	pending  *bus.Message // a message recv could not fit; delivered first next time
	local    map[any]any  // per-process state of host-function families (see host.go)
	atExit   []func()     // cleanups of host-function families, run on the process thread
	hostCall call         // the context of the host call in progress (host.go)
	fuelSet  bool         // the store got its fuel budget (fuel.go)
	cart     *cartState   // the WASM-4 console of a cart (cart_run.go); nil otherwise
	svc      *serveState  // a reactor service's handler (serve.go); nil otherwise

	tree        *procTree // the process tree it belongs to (tree.go)
	budget      budget    // its memories' and tables' budget, child of the tree's (memlimit_cgo.go)
	tableCharge int64     // the tables' worst case, charged to budget (storeLimits)

	epochSlot uintptr
	cpuWin    cpuWindow     // CPU share accounting (cpushare.go); process thread only
	runStart  int64         // monoNow() when the process began on its thread
	cpuBase   time.Duration // the thread's CPU time at the process's first sample (cpuSet)
	cpuPre    time.Duration // the process's CPU time before that sample (cpu.go)
	cpuSet    bool
	sampledAt int64 // monoNow() of the last CPU sample of a blocking host call (blockAt)
	onThread  bool  // running on its own thread (false while Spawn builds it)
	askMu     sync.Mutex
	answers   map[string]Answer // the user's answers at the doors (ask.go)
	lastHost  atomic.Int64      // monotonic ns when guest code last entered or left the host
	killed    atomic.Bool       // force-kill requested: host calls trap, epoch ticks trap
	stopping  atomic.Bool       // quit request posted: blocking calls return ERR_CLOSED when idle
	cause     atomic.Pointer[string]
	// proc_exit's status (wasi_exit.go), set once the guest called it.
	exitStatus atomic.Uint32
	exitCalled atomic.Bool

	// Reload (reload.go): the request Kernel.Reload posts, the flag that keeps a second one
	// out, and the wake-up of a recv blocked when it arrives.
	reloadReq atomic.Pointer[reloadJob]
	reloading atomic.Bool
	wake      atomic.Pointer[wakeup]
	// Owned by the process thread: the reload being carried out (nil otherwise), whether the
	// host call in progress must end the current code with a trap, the live subscriptions
	// (adopted by reloaded code) and the outputs held open for it.
	rl        *reloadState
	unwind    bool
	reentered bool // the kernel called into the guest during this host call (reload save/restore)
	subs      []subRecord
	adopt     *adoption
	outs      *outputs

	ctx    context.Context // ends when the process is killed
	cancel context.CancelFunc
	done   chan struct{} // closed after the process ended and its resources were released

	mu   sync.Mutex // guards info and spec
	info Info
	spec genSpec // the code the process runs now and how it was asked for (Spawned, Reload)
}

// PID is the process id, also its bus address.
func (p *Process) PID() bus.PID { return p.pid }

// Name is the module name the process was started as.
func (p *Process) Name() string { return p.name }

// Done is closed when the process has ended.
func (p *Process) Done() <-chan struct{} { return p.done }

// Info returns a snapshot of the process-table row.
func (p *Process) Info() Info {
	p.mu.Lock()
	in := p.info
	p.mu.Unlock()
	if p.stopping.Load() && !in.State.Done() && in.State != Starting {
		in.State = Stopping
	}
	if p.inbox != nil {
		in.Inbox = p.inbox.Stats()
	}
	return in
}

func (p *Process) setState(s State) {
	p.mu.Lock()
	if !p.info.State.Done() {
		p.info.State = s
	}
	p.mu.Unlock()
}

// setCause records the first reason the kernel ends the process for (kill, deadline, panic).
func (p *Process) setCause(s string) {
	p.cause.CompareAndSwap(nil, &s)
}

// sample records thread CPU time and memory size, and with a memory size (mem > 0: called
// from a host call or at exit, where the store may be read, not from an epoch tick) the fuel
// spent. Only the process thread calls it.
func (p *Process) sample(mem int64) { p.record(p.cpuTime(), mem) }

// record is sample's bookkeeping, with the CPU time taken.
func (p *Process) record(cpu time.Duration, mem int64) {
	var fuel uint64
	if mem > 0 {
		fuel = p.fuelUsed()
	}
	p.mu.Lock()
	if cpu > 0 {
		p.info.CPU = cpu
	}
	if mem > 0 {
		p.info.Memory = mem
	}
	if fuel > 0 {
		p.info.Fuel = fuel
	}
	p.mu.Unlock()
}

// sampleEvery bounds how often a blocking host call reads the thread's CPU time: the read is a
// system call (1.5 µs here, 2.5-3.5 µs right after the thread was woken), and a guest that
// makes a request every few hundred µs paid it on the path of each one. So Info.CPU of a
// blocked process may lag by what the thread used in the last sampleEvery; epoch ticks
// (while guest code runs) and the end of the process still sample every time.
const sampleEvery = time.Millisecond

// blockAt marks the process Blocked for a host call about to wait, with its memory size mem
// and, at most every sampleEvery, its CPU time and fuel (sample). Only the process thread
// calls it.
func (p *Process) blockAt(mem int64) {
	if now := monoNow(); now-p.sampledAt >= int64(sampleEvery) {
		p.sampledAt = now
		p.sample(mem)
	} else if mem > 0 {
		p.mu.Lock()
		p.info.Memory = mem
		p.mu.Unlock()
	}
	p.setState(Blocked)
}

// Wait blocks until the process has ended or ctx ends, and returns its final Info.
func (p *Process) Wait(ctx context.Context) (Info, error) {
	select {
	case <-p.done:
		return p.Info(), nil
	case <-ctx.Done():
		return p.Info(), ctx.Err()
	}
}

type tickResult int

const (
	tickContinue tickResult = iota
	tickKilled
	tickDeadline
)

// onTick runs on the process thread at each epoch tick while guest code runs.
func (p *Process) onTick() tickResult {
	p.sample(0)
	if p.killed.Load() {
		p.setCause("killed")
		return tickKilled
	}
	if p.opts.Limits.CPU > 0 && p.opts.Limits.CPU < 100 && p.onThread && p.throttle() {
		p.setCause("killed")
		return tickKilled
	}
	if d := p.opts.Limits.Deadline; d > 0 {
		ran := time.Duration(monoNow() - p.lastHost.Load())
		if ran > d {
			p.setCause("deadline exceeded: ran " + ran.Round(time.Millisecond).String() +
				" without returning to the host (limit " + d.String() + ")")
			return tickDeadline
		}
	}
	return tickContinue
}
