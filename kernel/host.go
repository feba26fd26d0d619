package kernel

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
)

// hostFunc is one function of the `orbital` import module. Each family of the ABI (core,
// surfaces, bus, regions) lives in its own host_<family>.go file that lists its functions in a
// []hostFunc and hands it to registerHostFuncs from init.
type hostFunc struct {
	name    string
	params  []wasmtime.ValKind
	results []wasmtime.ValKind
	// fn returns the results. A function that may wait (recv, send with a timeout) waits
	// inside c.block and honours c.Context(), which ends when the process is killed.
	fn func(c *call, args []wasmtime.Val) []wasmtime.Val
	// i32, set instead of fn by a function returning one i32, reads its arguments in place and
	// allocates nothing per call (hostcall_cgo.go).
	i32 func(c *call, args rawArgs) int32
}

var (
	hostFuncs     []hostFunc
	hostFuncNames = map[string]struct{}{}
	// wasiOverrides replace functions of wasmtime's WASI (wasi_snapshot_preview1) where the
	// kernel must do better, e.g. a poll_oneoff that a kill interrupts (wasi_poll.go).
	wasiOverrides []hostFunc
)

// registerWasiOverrides adds replacements for WASI functions. Call it from init only.
func registerWasiOverrides(fs ...hostFunc) { wasiOverrides = append(wasiOverrides, fs...) }

// registerHostFuncs adds a family of host functions. Call it from init only.
func registerHostFuncs(fs ...hostFunc) {
	for _, f := range fs {
		if _, dup := hostFuncNames[f.name]; dup {
			panic("kernel: host function registered twice: " + f.name)
		}
		hostFuncNames[f.name] = struct{}{}
		hostFuncs = append(hostFuncs, f)
	}
}

// Shorthands for signatures.
var (
	i32 = wasmtime.KindI32
	i64 = wasmtime.KindI64
)

func kinds(ks ...wasmtime.ValKind) []wasmtime.ValKind { return ks }

// defineHostFuncs links every registered host function into the kernel's linker. The linker
// is store-independent: one definition serves every process, which is found by its store
// (hostcall_cgo.go).
func defineHostFuncs(l *wasmtime.Linker) error {
	if err := defineFuncs(l, abiModule, hostFuncs); err != nil {
		return err
	}
	l.AllowShadowing(true) // the overrides replace what DefineWasi linked
	defer l.AllowShadowing(false)
	return defineFuncs(l, wasiModule, wasiOverrides)
}

// invoke runs one host call of p: it refuses calls from a killed process, turns a Go panic
// into the end of that process only (never of the kernel), and keeps the deadline clock, CPU
// time and memory size current. caller is the C wasmtime_caller_t; results are written over
// args. A non-nil trap ends the guest.
func invoke(f *hostFunc, p *Process, caller unsafe.Pointer, args rawArgs) (trap *wasmtime.Trap) {
	if p.killed.Load() {
		p.setCause("killed")
		return wasmtime.NewTrap("orbital: process killed")
	}
	p.lastHost.Store(monoNow())
	// One call per process at a time (its thread is in this host call), so the process's own
	// call value (and its Caller) serves every call without an allocation. Calls nest when the
	// kernel calls into the guest from a host call (a reload's save and restore, a library's
	// _initialize while new code is linked): the outer call's caller comes back when the inner
	// one returns.
	c := &p.hostCall
	outer, outerPtr := c.caller, callerPtr(&c.box)
	setCallerPtr(&c.box, caller)
	c.p, c.caller = p, &c.box
	defer func() {
		setCallerPtr(&c.box, outerPtr)
		c.caller = outer
		if r := recover(); r != nil {
			p.setCause(fmt.Sprintf("host function orbital.%s panicked: %v", f.name, r))
			p.k.cfg.Log(p.pid, p.name, 3, fmt.Sprintf("host function orbital.%s panicked: %v", f.name, r))
			for _, l := range strings.Split(strings.TrimSpace(string(debug.Stack())), "\n") {
				p.k.cfg.Log(p.pid, p.name, 3, "  "+l) // one log line per stack line
			}
			trap = wasmtime.NewTrap("orbital: host function " + f.name + " panicked")
		}
	}()
	var r32 int32
	var res []wasmtime.Val
	if f.i32 != nil {
		r32 = f.i32(c, args)
	} else {
		res = f.fn(c, args.vals(f.params))
	}
	// A trap wins over the results, which such a function need not give (proc_fail, proc_exit).
	if msg := c.trap; msg != "" { // the function ends the process (proc_fail)
		c.trap = ""
		return wasmtime.NewTrap(msg)
	}
	if p.killed.Load() {
		p.setCause("killed")
		return wasmtime.NewTrap("orbital: process killed")
	}
	if p.unwind { // a reload ends the current code here (reload_thread.go)
		return wasmtime.NewTrap("orbital: reloading")
	}
	if f.i32 != nil {
		args.setI32(0, r32)
	} else if err := args.store(f.results, res); err != nil {
		panic(err) // a bug in the function: it ends this process only (recovered above)
	}
	return nil
}

// call is the context of one host call: the process and the wasmtime caller, with
// bounds-checked access to guest memory.
type call struct {
	p      *Process
	caller *wasmtime.Caller
	// trap, when a function sets it, ends the process with this trap message instead of
	// returning results (its cause is set first, so it becomes the reason).
	trap string
	box  wasmtime.Caller // caller points here during a host call (invoke)
	// waited is set by onWait's function: a publish found a full reliable subscriber and
	// waits (hostPublish), made once per process so that a publish allocates nothing.
	waited bool
	waitFn func()
	// lastTopic is the topic the last call read (topicIn): the next one is mostly the same.
	lastTopic string
}

// onWait is the function bus.PublishWaiting calls when the publish must wait: it marks the
// caller blocked and sets c.waited.
func (c *call) onWait() func() {
	if c.waitFn == nil {
		c.waitFn = func() { c.waited = true; c.blockNow() }
	}
	return c.waitFn
}

// Context ends when the process is killed. Blocking host functions wait on it.
func (c *call) Context() context.Context { return c.p.ctx }

// mem returns the guest's whole linear memory. The slice is valid until the guest runs again
// or memory grows; never keep it past the host call.
func (c *call) mem() []byte {
	if c.p.memory == nil {
		return nil
	}
	return memoryData(c.caller, c.p.memory)
}

// bytes returns the guest bytes [ptr, ptr+n), or ok=false if any of it lies outside memory.
func (c *call) bytes(ptr, n int32) (b []byte, ok bool) { return span(c.mem(), ptr, n) }

// span returns m[ptr:ptr+n], or ok=false if any of it lies outside m: c.bytes for a function
// that reads several ranges of one c.mem().
func span(m []byte, ptr, n int32) (b []byte, ok bool) {
	if ptr < 0 || n < 0 || int64(ptr)+int64(n) > int64(len(m)) {
		return nil, false
	}
	return m[ptr : ptr+n : ptr+n], true
}

// block marks the process Blocked while fn waits, then Running again, and samples memory
// (and CPU time, at most every sampleEvery) before it waits.
func (c *call) block(fn func()) {
	c.p.blockAt(int64(len(c.mem())))
	fn()
	c.unblock()
}

// blockNow marks the caller blocked from now, for a host call that found it must wait in the
// middle of its work (publish: bus.PublishWaiting); unblock ends it.
func (c *call) blockNow() { c.p.blockAt(int64(len(c.mem()))) }

func (c *call) unblock() {
	c.p.lastHost.Store(monoNow()) // the deadline counts guest time, not time spent waiting
	c.p.setState(Running)
}

// one wraps a single i32 result.
func one(v int32) []wasmtime.Val { return []wasmtime.Val{wasmtime.ValI32(v)} }

// local returns the state a host-function family keeps for this process under key, made by
// mk on first use. Only the process thread (host functions) may call it.
func (c *call) local(key any, mk func() any) any {
	p := c.p
	if v, ok := p.local[key]; ok {
		return v
	}
	if p.local == nil {
		p.local = map[any]any{}
	}
	v := mk()
	p.local[key] = v
	return v
}

// atExit registers f to run on the process thread when the process ends, after its surfaces
// are closed and before its inbox is detached. Later registrations run first.
func (c *call) atExit(f func()) { c.p.atExit = append(c.p.atExit, f) }

// Process returns the calling process.
func (c *call) Process() *Process { return c.p }

// Bus returns the bus the process is attached to.
func (c *call) Bus() *bus.Bus { return c.p.k.bus }

// Inbox returns the process's own inbox.
func (c *call) Inbox() *bus.Inbox { return c.p.inbox }

// i64s wraps a single i64 result.
func i64s(v int64) []wasmtime.Val { return []wasmtime.Val{wasmtime.ValI64(v)} }
