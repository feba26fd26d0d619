package kernel

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
)

// Kernel owns the wasmtime engine, the linker with every host function, the compiled-module
// cache, the epoch ticker and the process table.
type Kernel struct {
	cfg    Config
	engine *wasmtime.Engine // the main engine: every process without a fuel budget
	linker *wasmtime.Linker
	plain  *engineSet // engine and linker above
	cache  *moduleCache
	bus    *bus.Bus
	policy *policyTable // nil: no enforcement (Config.AllowAll); without a store it refuses all

	// The fuel engine (fuel.go): built on the first metered spawn, under fuelMu.
	fuelMu sync.Mutex
	fuel   atomic.Pointer[engineSet]

	mu      sync.Mutex // guards procs, nextPID, closed
	procs   map[bus.PID]*Process
	nextPID bus.PID
	closed  bool

	threads   threadPool // goroutines kept for the next process (threads.go)
	wasms     wasmIntern // module bytes shared by the Modules of one digest (intern.go)
	fsHelpers sync.Map   // *wasmtime.Engine -> *fsHelperCode (wasi_fs.go)

	stopTick chan struct{}
	tickDone chan struct{}
	wg       sync.WaitGroup // process threads
}

// ErrClosed is returned by Spawn after Close.
var ErrClosed = errors.New("kernel: closed")

// ErrNoProcess is returned for a pid that is not in the process table.
var ErrNoProcess = errors.New("kernel: no such process")

// New builds a kernel: the engine, the linker and the epoch ticker. Close releases them.
func New(cfg Config) (*Kernel, error) {
	cfg = cfg.withDefaults()
	engine := wasmtime.NewEngineWithConfig(engineConfig())
	linker, err := newLinker(engine)
	if err != nil {
		return nil, err
	}
	pt := newPolicyTable(cfg.Policies, cfg.AllowAll, cfg.Log)
	cacheMem, cacheDisk := cacheBounds(cfg)
	b := cfg.Bus
	if b != nil && pt != nil {
		return nil, errors.New("kernel: Config.Bus is set, but a bus made outside the kernel cannot carry its policy checks; leave it nil, or set AllowAll")
	}
	if b == nil {
		b = bus.New(bus.Config{Check: pt.busCheck()})
	}
	k := &Kernel{
		cfg:      cfg,
		engine:   engine,
		linker:   linker,
		plain:    &engineSet{engine: engine, linker: linker, settings: engineSettings},
		cache:    newModuleCache(cfg.Home, cfg.Compile, cacheMem, cacheDisk),
		bus:      b,
		procs:    map[bus.PID]*Process{},
		nextPID:  1,
		stopTick: make(chan struct{}),
		tickDone: make(chan struct{}),
		policy:   pt,
	}
	pt.start()
	go k.tick()
	return k, nil
}

// tick advances the engines' epochs every Config.Tick (the fuel engine's once it exists);
// each running guest checks in with onTick at every advance (epoch_cgo.go).
func (k *Kernel) tick() {
	defer close(k.tickDone)
	t := time.NewTicker(k.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			k.engine.IncrementEpoch()
			if f := k.fuel.Load(); f != nil {
				f.engine.IncrementEpoch()
			}
		case <-k.stopTick:
			return
		}
	}
}

// Bus is the bus the kernel's processes are attached to.
func (k *Kernel) Bus() *bus.Bus { return k.bus }

// Close kills every process, waits for their threads and stops the ticker. Calling it twice
// is harmless.
func (k *Kernel) Close() {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return
	}
	k.closed = true
	procs := make([]*Process, 0, len(k.procs))
	for _, p := range k.procs {
		procs = append(procs, p)
	}
	k.mu.Unlock()
	for _, p := range procs {
		p.forceKill("kernel shut down")
	}
	k.wg.Wait()
	k.threads.close()
	close(k.stopTick)
	<-k.tickDone
	k.policy.stop()
}

// Process returns the process with pid, or nil.
func (k *Kernel) Process(pid bus.PID) *Process {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.procs[pid]
}

// Info returns the process-table row of pid.
func (k *Kernel) Info(pid bus.PID) (Info, error) {
	p := k.Process(pid)
	if p == nil {
		return Info{}, fmt.Errorf("%w: %d", ErrNoProcess, pid)
	}
	return p.Info(), nil
}

// List returns every process-table row, ended ones included, sorted by pid.
func (k *Kernel) List() []Info {
	k.mu.Lock()
	procs := make([]*Process, 0, len(k.procs))
	for _, p := range k.procs {
		procs = append(procs, p)
	}
	k.mu.Unlock()
	out := make([]Info, len(procs))
	for i, p := range procs {
		out[i] = p.Info()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// Forget removes an ended process from the table.
func (k *Kernel) Forget(pid bus.PID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if p := k.procs[pid]; p != nil && p.Info().State.Done() {
		delete(k.procs, pid)
	}
}
