package kernel

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// The process thread's side of a reload (reload.go). The guest is at its safe point when it
// calls recv: it has handled its last message and waits in a host call. There the thread
//
//  1. links the new code into a store of its own (a link error refuses the reload; the old
//     code goes on waiting in its recv),
//  2. calls the old code's orbital_reload_save, re-entering the guest from the host call (a
//     negative answer other than ERR_NOT_FOUND refuses the reload),
//  3. sets unwind: the host call returns a trap, which unwinds the old code's stack back to
//     runCode, which closes the old store and calls the new entry point on the same thread.
//
// The new code's first recv calls its orbital_reload_restore with the state before any message
// is delivered. If the new code ends abnormally before the grace timer fires, the thread
// builds the old code again and restores the same state into it. The inbox is never detached,
// so a message sent at any point is delivered to whichever code runs next.

// codeImage is what a reload replaces: the code and the wasmtime objects built for it.
type codeImage struct {
	module  *Module
	eng     *engineSet
	code    *compiledCode
	store   *wasmtime.Store
	memory  *wasmtime.Memory
	slot    uintptr
	fuelSet bool
	svc     *serveState // a reactor service's handler (serve.go)
}

// takeImage moves the current image out of the process.
func (p *Process) takeImage() codeImage {
	img := codeImage{p.module, p.eng, p.code, p.store, p.memory, p.epochSlot, p.fuelSet, p.svc}
	p.store, p.memory, p.epochSlot, p.fuelSet, p.svc = nil, nil, 0, false, nil
	return img
}

func (p *Process) putImage(img codeImage) {
	p.module, p.eng, p.code, p.store, p.memory, p.epochSlot, p.fuelSet, p.svc =
		img.module, img.eng, img.code, img.store, img.memory, img.slot, img.fuelSet, img.svc
}

func (img *codeImage) close() {
	if img.store != nil {
		releaseEpochSlot(img.slot)
		img.store.Close()
		img.store, img.memory, img.svc = nil, nil, nil
	}
}

// buildImage makes a store for g with WASI view w (which it takes) and fuel left of a metered
// budget, and instantiates g's code in it. It may run while the current code waits in a host
// call; the current image is set aside meanwhile and put back.
func (p *Process) buildImage(g *genSpec, w *wasmtime.WasiConfig, fuel uint64) (img codeImage, entry *wasmtime.Func, err error) {
	cur := p.takeImage()
	p.module, p.eng, p.code = g.module, g.eng, g.code
	p.store = wasmtime.NewStoreWithData(g.eng.engine, p)
	p.storeLimits(p.store, g.opts.Limits) // tree.go; the tables' reserve was charged at spawn: no error

	p.store.SetWasi(w)
	p.store.SetEpochDeadline(1)
	installEpochCallback(p)
	if g.opts.Limits.Fuel > 0 {
		if err = p.store.SetFuel(fuel); err == nil {
			p.fuelSet = true
		}
	}
	if err == nil {
		entry, err = p.instantiate()
	}
	img = p.takeImage()
	p.putImage(cur)
	if err != nil {
		img.close()
		return codeImage{}, nil, err
	}
	return img, entry, nil
}

// fuelLeft is what remains of a metered process's lifetime budget.
func (p *Process) fuelLeft() uint64 {
	return p.opts.Limits.Fuel - min(p.fuelUsed(), p.opts.Limits.Fuel)
}

// reloadState is the thread's record of a reload from the safe point to its end.
type reloadState struct {
	job      *reloadJob
	from     genSpec        // the old code, to roll back to
	next     codeImage      // the new code, linked, until it starts
	entry    *wasmtime.Func // its entry point
	state    []byte         // what orbital_reload_save returned
	hasState bool
	phase    int
	fresh    bool  // the code just started has not reached its first recv yet
	swapAt   int64 // monoNow() at the old code's safe point
	startAt  int64 // monoNow() when the new code started
	timer    *time.Timer
	grace    atomic.Int32 // graceRunning, then graceCommitted or graceFailed/graceEnded (thread)
	// The reload commits once both the grace period has passed (elapsed, set by the timer)
	// and the new code has started (started: it reached its first recv and took the state);
	// whichever comes second commits (new code that has not called recv by then commits
	// SafePoint later).
	elapsed, started atomic.Bool

	mu  sync.Mutex // res: the thread fills it in, the grace timer delivers it
	res ReloadResult
}

const (
	phaseSwapping   = iota // the old code is unwinding
	phaseGrace             // the new code runs on probation
	phaseRolledBack        // the old code runs again
)

const (
	graceRunning int32 = iota
	graceCommitted
	graceFailed
	graceEnded
)

// maxReloadState bounds the state orbital_reload_save may hand over.
const maxReloadState = 64 << 20

// atRecv runs at the start of recv while a reload is requested or under way.
func (p *Process) atRecv(c *call) {
	if rl := p.rl; rl != nil {
		if rl.fresh {
			if p.firstRecv(c, rl); p.unwind {
				return
			}
		}
		if rl.phase == phaseRolledBack || rl.grace.Load() != graceRunning {
			p.rl = nil
		}
	}
	if job := p.reloadReq.Swap(nil); job != nil && job.state.CompareAndSwap(jobPending, jobTaken) {
		p.swap(c, job)
	}
}

// swap carries out job at the old code's safe point: link the new code, save the old code's
// state, and end the old code (unwind) — or refuse, and the old code goes on.
func (p *Process) swap(c *call, job *reloadJob) {
	refuse := func(format string, args ...any) {
		p.reloading.Store(false) // before the answer: the caller may try again at once
		job.swapped <- &ReloadError{PID: p.pid, Name: p.name, Reason: fmt.Sprintf(format, args...)}
	}
	if p.stopping.Load() {
		job.wasi.Close()
		refuse("the process is stopping")
		return
	}
	swapAt := monoNow()
	img, entry, err := p.buildImage(&job.to, job.wasi, p.fuelLeft())
	job.wasi = nil
	if err != nil {
		refuse("the new code does not link: %s", oneLine(err.Error()))
		return
	}
	from := p.spawnSpec()
	rl := &reloadState{job: job, from: from, next: img, entry: entry, swapAt: swapAt,
		res: ReloadResult{PID: p.pid, Name: p.name, From: from.label(), To: job.to.label(), State: -1}}
	if err := p.saveState(c.caller, exportFunc(c.caller, "orbital_reload_save", nil, kinds(i64)), c.mem, rl); err != nil {
		img.close()
		refuse("%v", err)
		return
	}
	p.rl, p.unwind = rl, true
}

// saveState calls the old code's orbital_reload_save() -> i64 (length << 32 | pointer), f
// (nil: not exported), in st, and keeps a copy of the bytes from mem. An error refuses the
// reload with the old code intact; a trap in the export leaves the old code unusable, so the
// new code starts without state.
func (p *Process) saveState(st wasmtime.Storelike, f *wasmtime.Func, mem func() []byte, rl *reloadState) error {
	if f == nil {
		return nil
	}
	p.reentered = true
	v, err := f.Call(st)
	if p.killed.Load() {
		return fmt.Errorf("killed while saving its state")
	}
	if err != nil {
		msg := "the old code trapped in orbital_reload_save (" + firstLine(err.Error()) + "); the new code starts without its state"
		p.k.cfg.Log(p.pid, p.name, 2, "reload: "+msg)
		rl.res.Reason = msg
		return nil
	}
	r, _ := v.(int64)
	if r < 0 {
		if r == int64(errNotFound) {
			return nil // no state to hand over (no sdk.OnReload): the new code starts fresh
		}
		return fmt.Errorf("its orbital_reload_save answered %s: it does not want to be reloaded now", codeName(int32(r)))
	}
	n, ptr := r>>32, r&0xffffffff
	if n > maxReloadState {
		return fmt.Errorf("its state of %d bytes is over the %d MiB a reload hands over", n, maxReloadState>>20)
	}
	m := mem()
	if ptr+n > int64(len(m)) {
		return fmt.Errorf("its orbital_reload_save returned bytes [%d, +%d), outside its memory", ptr, n)
	}
	rl.state, rl.hasState = bytes.Clone(m[ptr:ptr+n]), true
	rl.res.State = int(n)
	return nil
}

// runCode runs the entry point, then the code each reload brings, until the process ends.
func (p *Process) runCode(entry *wasmtime.Func) error {
	for {
		err := p.callEntry(entry)
		if err == nil && p.svc != nil {
			err = p.serveCode() // serve.go: a reactor service answers calls until it is stopped
		}
		if entry = p.nextCode(err); entry == nil {
			return err
		}
	}
}

// nextCode decides what runs after the current code ended with err: the new code of a swap,
// the old code again after a failure within the grace period, or nothing.
func (p *Process) nextCode(err error) *wasmtime.Func {
	rl := p.rl
	p.unwind = false
	if rl == nil {
		return nil
	}
	switch rl.phase {
	case phaseSwapping:
		return p.startNew(rl)
	case phaseGrace:
		if p.failed(err) && rl.grace.CompareAndSwap(graceRunning, graceFailed) {
			return p.rollback(rl, err)
		}
		if rl.grace.CompareAndSwap(graceRunning, graceEnded) {
			rl.timer.Stop()
			rl.mu.Lock()
			rl.res.Outcome, rl.res.Reason = ReloadEnded, "the process ended within the grace period"
			rl.mu.Unlock()
			p.deliver(rl)
		}
	}
	p.rl = nil
	return nil
}

// startNew replaces the unwound old code by the new one and starts its grace period.
func (p *Process) startNew(rl *reloadState) *wasmtime.Func {
	if p.killed.Load() {
		rl.next.close()
		p.reloading.Store(false)
		rl.job.swapped <- &ReloadError{PID: p.pid, Name: p.name, Reason: "the process was killed during the reload"}
		p.rl = nil
		return nil // finish closes the old codeImage
	}
	p.sample(p.memSize())
	old := p.takeImage()
	old.close()
	p.putImage(rl.next)
	rl.next = codeImage{}
	p.begin(rl.job.to)
	rl.phase, rl.fresh, rl.startAt = phaseGrace, true, monoNow()
	rl.timer = time.AfterFunc(rl.job.grace, func() {
		if rl.elapsed.Store(true); rl.started.Load() {
			p.commit(rl)
			return
		}
		// Code that computes for long before its first recv: final after another while.
		time.AfterFunc(rl.job.safePoint, func() { p.commit(rl) })
	})
	rl.job.swapped <- nil
	return rl.entry
}

// commit makes the reload final, unless the new code failed or ended first.
func (p *Process) commit(rl *reloadState) {
	if rl.grace.CompareAndSwap(graceRunning, graceCommitted) {
		rl.mu.Lock()
		rl.res.Outcome = ReloadCommitted
		rl.mu.Unlock()
		p.deliver(rl)
	}
}

// begin makes g the process's code: options, spec, Info, and what it inherits.
func (p *Process) begin(g genSpec) {
	p.opts = g.opts
	p.mu.Lock()
	p.spec = g
	p.info.Version, p.info.Digest = g.opts.Version, g.digest()
	p.mu.Unlock()
	p.inherit()
	p.cause.Store(nil)
	p.lastHost.Store(monoNow())
	p.setState(Running)
}

// failed reports whether code that ended with err failed: a crash or a non-zero exit, not
// an end the kernel or the user asked for.
func (p *Process) failed(err error) bool {
	if p.killed.Load() || p.stopping.Load() {
		return false
	}
	state, code, _ := p.classify(err, p.memSize(), p.fuelUsed())
	return state == Crashed || code != 0
}

// rollback replaces the new code that failed with the old code again, with the saved state.
func (p *Process) rollback(rl *reloadState, err error) *wasmtime.Func {
	_, _, why := p.classify(err, p.memSize(), p.fuelUsed())
	ran := time.Duration(monoNow() - rl.startAt).Round(time.Millisecond)
	fuel := p.fuelLeft()
	p.sample(p.memSize())
	bad := p.takeImage()
	bad.close()
	p.cause.Store(nil)
	rl.mu.Lock()
	rl.res.Outcome = ReloadRolledBack
	rl.res.Reason = fmt.Sprintf("%s failed %v after it started: %s; back to %s", rl.job.to.label(), ran, why, rl.from.label())
	rl.mu.Unlock()
	w, err := p.reloadWasi(rl.from.opts)
	var img codeImage
	var entry *wasmtime.Func
	if err == nil {
		img, entry, err = p.buildImage(&rl.from, w, fuel)
	}
	if err != nil {
		p.setCause("reload rolled back, but the old code could not start again: " + oneLine(err.Error()))
		rl.mu.Lock()
		rl.res.Reason += ", which could not start again: " + oneLine(err.Error())
		rl.mu.Unlock()
		p.deliver(rl)
		p.rl = nil
		return nil
	}
	p.putImage(img)
	p.begin(rl.from)
	rl.phase, rl.fresh = phaseRolledBack, true
	p.deliver(rl)
	return entry
}

// firstRecv hands the saved state to the code that just started, before its first message.
func (p *Process) firstRecv(c *call, rl *reloadState) {
	if err := p.takeState(c.caller, exportFunc(c.caller, "orbital_reload_restore", kinds(i32, i32), kinds(i32)), rl); err != nil {
		p.setCause(err.Error())
		p.unwind = true
	}
}

// takeState is the first safe point of the code that just started: it hands over the saved
// state with restore (its orbital_reload_restore, nil when not exported) in st, and starts the
// commit once the grace period has passed too. An error fails the new code.
func (p *Process) takeState(st wasmtime.Storelike, restore *wasmtime.Func, rl *reloadState) error {
	rl.fresh = false
	if rl.phase == phaseGrace {
		rl.mu.Lock()
		rl.res.Pause = time.Duration(monoNow() - rl.swapAt)
		rl.mu.Unlock()
	}
	var took bool
	var err error
	if rl.hasState {
		took, err = p.restoreState(st, restore, rl.state)
	}
	if rl.phase == phaseGrace {
		rl.mu.Lock()
		rl.res.Restored = took
		rl.mu.Unlock()
	}
	if err != nil {
		return err
	}
	if rl.phase == phaseGrace {
		if rl.started.Store(true); rl.elapsed.Load() {
			p.commit(rl)
		}
	}
	return nil
}

// restoreState calls orbital_reload_restore(region, len) -> i32 of the code now running with
// state in a region the kernel gives it for the call. ERR_NOT_FOUND: the code does not take
// state (no sdk.OnReload); another negative answer or a trap fails the code.
func (p *Process) restoreState(st wasmtime.Storelike, f *wasmtime.Func, state []byte) (took bool, err error) {
	if f == nil {
		p.k.cfg.Log(p.pid, p.name, 1, fmt.Sprintf("reload: the new code exports no orbital_reload_restore; it starts without the %d bytes of state", len(state)))
		return false, nil
	}
	var h uint32
	if len(state) > 0 {
		if h, err = p.k.bus.RegionGive(p.pid, state); err != nil {
			return false, fmt.Errorf("reload: could not hand over %d bytes of state: %v", len(state), err)
		}
		defer p.k.bus.RegionRelease(p.pid, h)
	}
	p.reentered = true
	v, err := f.Call(st, int32(h), int32(len(state)))
	switch r, _ := v.(int32); {
	case err != nil:
		return false, fmt.Errorf("reload: trap in orbital_reload_restore: %s", firstLine(err.Error()))
	case r == errNotFound:
		p.k.cfg.Log(p.pid, p.name, 1, fmt.Sprintf("reload: the new code did not take the %d bytes of state (no sdk.OnReload); it starts fresh", len(state)))
		return false, nil
	case r < 0:
		return false, fmt.Errorf("reload: orbital_reload_restore refused the state: %s", codeName(r))
	}
	return true, nil
}

// deliver publishes the reload's result: Info, the log, and the caller of Reload.
func (p *Process) deliver(rl *reloadState) {
	rl.mu.Lock()
	res := rl.res
	rl.mu.Unlock()
	level := 1
	p.mu.Lock()
	p.info.Reload = res.String()
	if res.Outcome == ReloadCommitted {
		p.info.Reloads++
	} else {
		level = 2
	}
	p.mu.Unlock()
	p.k.cfg.Log(p.pid, p.name, level, "reload: "+res.String())
	p.reloading.Store(false)
	rl.job.outcome <- res
}

// memSize is the current code's memory size in bytes (0 without one). Process thread only.
func (p *Process) memSize() int64 {
	if p.memory == nil || p.store == nil {
		return 0
	}
	return int64(p.memory.DataSize(p.store))
}

// exportFunc returns the caller's export name if it is a function of the given type.
func exportFunc(caller *wasmtime.Caller, name string, params, results []wasmtime.ValKind) *wasmtime.Func {
	ex := caller.GetExport(name)
	if ex == nil || ex.Func() == nil {
		return nil
	}
	f := ex.Func()
	if !sameSig(f.Type(caller), params, results) {
		return nil
	}
	return f
}
