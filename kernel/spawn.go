package kernel

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
)

// Spawn starts m as a new process on a thread of its own. It returns once the instance exists
// (so a link error is Spawn's error) and the guest's entry point is about to run.
func (k *Kernel) Spawn(m *Module, o SpawnOptions) (*Process, error) {
	if o.Script == nil {
		o.Script = m.Script // a module bound to a script (WithScript) runs it
	}
	asked := o // as the caller gave them, before defaults and policy (Spawned)
	if o.Name == "" {
		o.Name = m.Name
	}
	o.Limits = o.Limits.withDefaults(k.cfg.Limits)
	pol, err := k.policy.resolve(m, &o)
	if err != nil {
		return nil, &ModuleError{File: m.Path, Msg: err.Error(), Err: err}
	}
	if m.Kind == KindCart {
		cartLimits(&o) // cart.go: the per-frame deadline
	}
	tree, err := k.joinTree(o) // tree.go: the process tree's count and memory
	if err != nil {
		return nil, err
	}
	launched := false
	defer func() {
		if !launched {
			tree.leave()
		}
	}()
	eng, code, err := k.codeFor(m, o.Limits.Fuel) // fuel.go: the fuel engine if metered
	if err != nil {
		return nil, &ModuleError{File: m.Path, Msg: err.Error(), Err: err}
	}
	w, err := wasiConfig(o.Name, o, k.cfg.Home)
	if err != nil {
		return nil, &ModuleError{File: m.Path, Msg: err.Error(), Err: err}
	}
	var stdin *stdinPipe
	if o.Stdin != nil {
		if stdin, err = openStdin(w, o.Stdin); err != nil {
			w.Close()
			return nil, fmt.Errorf("kernel: %s: %w", o.Name, err)
		}
	}
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		w.Close()
		stdin.close()
		return nil, ErrClosed
	}
	pid := k.nextPID
	k.nextPID++
	k.mu.Unlock()

	inbox, err := k.bus.Attach(pid, o.Limits.Inbox)
	if err != nil {
		w.Close()
		stdin.close()
		return nil, fmt.Errorf("kernel: attach inbox of %s: %w", o.Name, err)
	}
	digest := m.Digest
	if o.Script != nil {
		digest = o.Script.Digest()
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Process{
		k: k, pid: pid, name: o.Name, module: m, eng: eng, code: code, opts: o, inbox: inbox, stdin: stdin, tree: tree,
		spec:    genSpec{module: m, eng: eng, code: code, opts: o, asked: asked},
		outs:    holdOutputs(o), // reload_out.go: where reloaded code writes
		fuelSrc: k.fuelSource(pol, asked, o.Limits.Fuel),
		ctx:     ctx, cancel: cancel, done: make(chan struct{}),
		info: Info{PID: pid, Parent: o.Parent, Name: o.Name, Version: o.Version, Digest: digest, Kind: m.Kind, State: Starting,
			Started: time.Now(), Limits: o.Limits},
	}
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		cancel()
		k.bus.Detach(pid)
		w.Close()
		stdin.close()
		p.outs.close()
		return nil, ErrClosed
	}
	k.procs[pid] = p
	k.wg.Add(1)
	k.mu.Unlock()
	k.policy.attach(pid, pol, p)

	// The store and instance are built here, on the caller's thread, so that Spawn's caller
	// does not wait for a wake-up of the new thread and back; from then on only the process
	// thread touches them.
	launched = true // finish leaves the tree from here on
	entry, err := p.start(w)
	if err != nil {
		p.finish(err)
		k.wg.Done()
		k.mu.Lock()
		delete(k.procs, pid)
		k.mu.Unlock()
		return nil, err
	}
	stdin.start()
	p.setState(Running)
	k.threads.start(procJob{p, entry}) // threads.go
	return p, nil
}

// start builds the process's store (limits, WASI, epoch deadline and callback, fuel) and
// instantiates the module, returning its entry point (nil for a cart). The memories it
// creates are charged to the process's budget (memlimit_cgo.go): the calling thread carries
// that budget meanwhile, and the caller's own (a parent in proc_spawn) afterwards.
func (p *Process) start(w *wasmtime.WasiConfig) (entryFunc, error) {
	p.budget = newBudget(p.opts.Limits.Memory, p.tree.budget)
	runtime.LockOSThread()
	prev := p.budget.enter()
	defer func() {
		prev.enter()
		runtime.UnlockOSThread()
	}()
	store := wasmtime.NewStoreWithData(p.eng.engine, p)
	p.store = store
	limErr := p.storeLimits(store, p.opts.Limits) // tree.go
	store.SetWasi(w)
	p.lastHost.Store(monoNow())
	store.SetEpochDeadline(1)
	installEpochCallback(p)

	err := p.startFuel()
	if err == nil {
		err = limErr
	}
	var entry entryFunc
	switch {
	case err != nil:
	case p.module.Kind == KindCart:
		err = p.instantiateCart() // cart_run.go
	default:
		entry, err = p.instantiate()
	}
	if err != nil && p.outOfFuel(err, p.fuelUsed()) { // in a start function or library _initialize
		err = &ModuleError{File: p.module.Path, Msg: p.fuelReason() + " (while starting)", Err: err}
	}
	if err != nil {
		p.setCause(err.Error())
	}
	return entry, err
}

// run is the process's thread: run the entry point (and the code reloads bring), record how
// it ended and release everything.
func (p *Process) run(entry entryFunc) {
	defer p.k.wg.Done()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p.budget.enter() // its memories grow on this thread (memlimit_cgo.go)
	defer budget{}.enter()
	p.onThread = true
	p.runStart = monoNow() // its CPU time counts from here (cpu.go)
	p.lastHost.Store(p.runStart)
	if p.cart != nil {
		p.finish(p.runCart())
		return
	}
	p.finish(p.runCode(entry)) // reload_thread.go: the entry point, then the code reloads bring
}

// instantiate links the module into the store and finds its entry point.
func (p *Process) instantiate() (entry *wasmtime.Func, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: instantiate: %v", p.module.Path, r)
		}
	}()
	name := "_start"
	if p.module.Kind == "service" {
		name = "_initialize"
	}
	ex, err := p.instantiateExports(name)
	if err != nil {
		return nil, err
	}
	if p.module.hasMemory {
		p.memory = ex.memory
	}
	if name == "_initialize" {
		if p.svc, err = findHandler(p.module.Path, ex.inst, p.store); err != nil {
			return nil, err
		}
		if p.svc != nil && p.memory == nil {
			return nil, &ModuleError{File: p.module.Path, Msg: "exports " + exportHandle + " but no memory"}
		}
	}
	if p.module.hasABIVersion && ex.abi != nil {
		v, err := ex.abi.Call(p.store)
		if err != nil {
			return nil, &ModuleError{File: p.module.Path, Msg: "orbital_abi_version failed: " + firstLine(err.Error()), Err: err}
		}
		if n, _ := v.(int32); n != ABIVersion {
			return nil, &ModuleError{File: p.module.Path, Msg: fmt.Sprintf("needs host ABI v%v; this kernel provides v%d", v, ABIVersion)}
		}
	}
	if ex.entry == nil {
		return nil, &ModuleError{File: p.module.Path, Msg: "has no " + name + " function"}
	}
	return ex.entry, nil
}

// instantiateExports instantiates the module (with its libraries, or through its InstancePre)
// and returns the exports a process needs.
func (p *Process) instantiateExports(entry string) (fastExports, error) {
	if len(p.code.libs) == 0 {
		pre, err := p.code.pre.get(p.eng.linker, p.code.mod)
		var ex fastExports
		if err == nil {
			ex, err = instantiateImaged(p.code.img, func() (fastExports, error) { return instantiatePre(p.store, pre, entry) })
		}
		if err != nil {
			return ex, &ModuleError{File: p.module.Path, Msg: "cannot instantiate: " + oneLine(err.Error()), Err: err}
		}
		return ex, nil
	}
	inst, err := p.instantiateLinked() // library_link.go
	if err != nil {
		return fastExports{}, err
	}
	ex := fastExports{inst: inst, entry: inst.GetFunc(p.store, entry), abi: inst.GetFunc(p.store, "orbital_abi_version")}
	if e := inst.GetExport(p.store, "memory"); e != nil {
		ex.memory = e.Memory()
	}
	return ex, nil
}

// callEntry runs the guest's entry point; a Go panic that escapes it ends only this process.
func (p *Process) callEntry(f *wasmtime.Func) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.setCause(fmt.Sprintf("panic in host: %v", r))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return call0(p.store, f) // fastpath_cgo.go: f.Call without reading its type
}

// finish records how the process ended and releases its store, surfaces and inbox.
func (p *Process) finish(err error) {
	var mem int64
	if p.memory != nil {
		mem = int64(p.memory.DataSize(p.store))
	}
	fuel := p.fuelUsed()
	p.record(p.endCPU(), mem)
	state, code, reason := p.classify(err, mem, fuel)

	p.closeSurfaces()
	p.stdin.close()
	for i := len(p.atExit) - 1; i >= 0; i-- {
		p.atExit[i]()
	}
	p.k.bus.Detach(p.pid)
	if p.store != nil { // nil when a reload's rollback could not start the old code again
		releaseEpochSlot(p.epochSlot)
		p.store.Close()
	}
	p.store, p.memory = nil, nil
	p.budget.uncharge(p.tableCharge)
	p.budget.release() // its memories went with the store
	p.tree.leave()
	p.outs.close() // after the store: its stdout and stderr write into them to the end
	p.cancel()

	p.mu.Lock()
	p.info.State, p.info.ExitCode, p.info.Reason = state, code, reason
	p.info.Fuel = fuel
	p.info.Ended = time.Now()
	p.mu.Unlock()
	close(p.done)
}

// classify turns the entry point's result into a final state, exit code and reason; fuel is
// what a metered process spent.
func (p *Process) classify(err error, mem int64, fuel uint64) (State, int, string) {
	// wasmtime's limiter refuses a memory.grow past the ceiling without telling the embedder;
	// the guest then traps or exits. A process that ends abnormally this close to its ceiling
	// is reported with the memory figures, the likely cause.
	memNote := ""
	if lim := p.opts.Limits.Memory; lim > 0 && lim-mem < max(lim/8, 4<<20) {
		memNote = fmt.Sprintf(" (memory limit of %s reached: %s in use, a larger memory.grow was refused)",
			sizeString(lim), sizeString(mem))
	}
	// A kill can let a guest end on its own first (a read of its stdin returns end of input
	// when the kill closes it): it was still killed.
	killedClean := func() (State, int, string) {
		if c := p.cause.Load(); c != nil && p.killed.Load() {
			return Exited, ExitKilled, *c
		}
		return Exited, 0, "exited"
	}
	if err == nil {
		return killedClean()
	}
	if status, ok := p.exitCall(); ok { // any status, 0 to 2^32-1 (wasi_exit.go)
		if status == 0 {
			return killedClean()
		}
		return Exited, status, fmt.Sprintf("exit status %d%s", status, memNote)
	}
	var werr *wasmtime.Error
	if errors.As(err, &werr) { // wasmtime's own proc_exit: a linker without the kernel's
		if status, ok := werr.ExitStatus(); ok {
			if status == 0 {
				return killedClean()
			}
			return Exited, int(status), fmt.Sprintf("exit status %d%s", status, memNote)
		}
	}
	if c := p.cause.Load(); c != nil {
		if p.killed.Load() && !isDeadline(*c) {
			return Exited, ExitKilled, *c
		}
		return Crashed, ExitCrashed, *c
	}
	if p.outOfFuel(err, fuel) {
		return Crashed, ExitCrashed, p.fuelReason()
	}
	var trap *wasmtime.Trap
	if errors.As(err, &trap) {
		return Crashed, ExitCrashed, "trap: " + trapMessage(trap) + memNote
	}
	return Crashed, ExitCrashed, oneLine(err.Error()) + memNote
}

func isDeadline(s string) bool { return len(s) >= 8 && s[:8] == "deadline" }

// trapMessage is the trap's cause, one line, with the function it happened in: "integer
// divide by zero in <wasm function 3> (at 0x22)". wasmtime's message starts with "error while
// executing at wasm backtrace:" for every trap and gives the cause after "Caused by:"; the
// trap code, when there is one, names it too.
func trapMessage(t *wasmtime.Trap) string {
	msg := t.Message()
	cause := trapCause(msg)
	if code := t.Code(); code != nil && *code == wasmtime.UnreachableCodeReached {
		cause = trapCodeText[*code] // wasmtime says "wasm `unreachable` instruction executed"
	}
	if cause == "" {
		if code := t.Code(); code != nil {
			cause = trapCodeText[*code]
		}
	}
	if cause == "" {
		cause = strings.TrimSuffix(strings.TrimSpace(firstLine(msg)), ":")
	}
	if fn, at := trapFrame(msg); fn != "" && at != "" {
		cause += " in " + fn + " (at " + at + ")"
	} else if fn != "" {
		cause += " in " + fn
	}
	return cause
}

// trapCodeText is wasmtime's wording of each trap code.
var trapCodeText = map[wasmtime.TrapCode]string{
	wasmtime.StackOverflow:          "call stack exhausted",
	wasmtime.MemoryOutOfBounds:      "out of bounds memory access",
	wasmtime.HeapMisaligned:         "misaligned memory access",
	wasmtime.TableOutOfBounds:       "undefined element: out of bounds table access",
	wasmtime.IndirectCallToNull:     "uninitialized element",
	wasmtime.BadSignature:           "indirect call type mismatch",
	wasmtime.IntegerOverflow:        "integer overflow",
	wasmtime.IntegerDivisionByZero:  "integer divide by zero",
	wasmtime.BadConversionToInteger: "invalid conversion to integer",
	wasmtime.UnreachableCodeReached: "unreachable instruction executed",
	wasmtime.Interrupt:              "interrupted",
	wasmtime.OutOfFuel:              "all fuel consumed",
}

// trapCause is the text under "Caused by:" in a wasmtime message, without "wasm trap: ".
func trapCause(msg string) string {
	_, after, ok := strings.Cut(msg, "\nCaused by:\n")
	if !ok {
		return ""
	}
	var parts []string
	for _, l := range strings.Split(after, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "Stack backtrace:") {
			break
		}
		if i := strings.Index(l, ": "); i > 0 && i < 4 && strings.Trim(l[:i], "0123456789") == "" {
			l = l[i+2:] // numbered causes: "0: ..."
		}
		parts = append(parts, strings.TrimPrefix(l, "wasm trap: "))
	}
	return strings.Join(parts, ": ")
}

// trapFrame is the innermost wasm frame of the message's backtrace: the function's name and
// the code offset ("    0:     0x22 - mod!name"), or only the name where wasmtime knows no
// offset ("    0: mod!name": code loaded from the disk cache has no address map,
// cache_lean.go).
func trapFrame(msg string) (fn, at string) {
	_, bt, ok := strings.Cut(msg, "wasm backtrace:\n")
	if !ok {
		return "", ""
	}
	line := strings.TrimSpace(firstLine(bt))
	num, rest, ok := strings.Cut(line, ":")
	if !ok || strings.Trim(num, "0123456789") != "" {
		return "", ""
	}
	at, name, ok := strings.Cut(strings.TrimSpace(rest), " - ")
	if !ok {
		at, name = "", strings.TrimSpace(rest)
	}
	if name == "" {
		return "", ""
	}
	if i := strings.LastIndexByte(name, '!'); i >= 0 {
		name = name[i+1:]
	}
	return strings.ToValidUTF8(name, "?"), at
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) != 0:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Wait blocks until pid has ended or ctx ends, and returns its final Info.
func (k *Kernel) Wait(ctx context.Context, pid bus.PID) (Info, error) {
	p := k.Process(pid)
	if p == nil {
		return Info{}, fmt.Errorf("%w: %d", ErrNoProcess, pid)
	}
	return p.Wait(ctx)
}
