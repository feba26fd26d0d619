package kernel

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/policies"
)

// Hot reload: a running process moves to new code in place (docs/design/reload.md). It keeps
// its pid, its inbox and the messages queued in it, its subscriptions, regions, windows,
// children and policy binding; only the wasmtime store and instance are replaced. Kernel.Reload
// checks the new code on the caller's goroutine (kind, effective grants, compiled code, WASI
// view), posts it to the process and wakes its recv. The process thread takes it at its next
// recv, the safe point (reload_thread.go): it links the new code in a store of its own, asks
// the old code for its state (orbital_reload_save), and only then ends the old code with a
// trap that unwinds its stack back to the thread's loop, which starts the new code. Its first
// recv hands the state over (orbital_reload_restore). If the new code crashes within the grace
// period, the thread starts the old code again with the saved state.

// ReloadOptions describe the new code of a reload.
type ReloadOptions struct {
	Version string // the new version (the manifest's), shown in Info
	// Publisher and Requests are the new version's policy identity (its manifest's publisher
	// key and requested permissions; nil Requests: a bare .wasm). Its effective grants must
	// equal the running process's.
	Publisher string
	Requests  *policies.Grants
	// Script is the new version's program when the module is an interpreter
	// (SpawnOptions.Script); nil: the new module's own (Module.WithScript), if any. It
	// replaces the running one's.
	Script *Script
	// Grace is how long the new code must run without crashing before the reload is final;
	// 0: Config.ReloadGrace.
	Grace time.Duration
	// SafePoint is how long to wait for the process to reach recv, where it can be swapped;
	// 0: 10 s.
	SafePoint time.Duration
}

// ReloadOutcome is how a reload that swapped the code ended.
type ReloadOutcome int

const (
	ReloadCommitted  ReloadOutcome = iota + 1 // the new code ran through the grace period
	ReloadRolledBack                          // the new code failed within it; the old code runs again
	ReloadEnded                               // the process ended (quit, killed) within it
)

func (o ReloadOutcome) String() string {
	switch o {
	case ReloadCommitted:
		return "reloaded"
	case ReloadRolledBack:
		return "rolled back"
	case ReloadEnded:
		return "ended"
	}
	return "unknown"
}

// ReloadResult is what a reload did.
type ReloadResult struct {
	PID      bus.PID
	Name     string
	From, To string // "VERSION (DIGEST12)" of the old and the new code
	Outcome  ReloadOutcome
	Reason   string        // why it rolled back or ended
	Pause    time.Duration // from the old code's safe point to the new code's first recv
	State    int           // bytes of state the old code handed over; -1: none (no sdk.OnReload)
	Restored bool          // the new code took the state (orbital_reload_restore)
}

func (r ReloadResult) String() string {
	s := fmt.Sprintf("%s %s -> %s", r.Outcome, r.From, r.To)
	if r.Pause > 0 {
		s += fmt.Sprintf(", pause %v", r.Pause.Round(10*time.Microsecond))
	}
	switch {
	case r.State >= 0 && r.Restored:
		s += fmt.Sprintf(", state %d bytes", r.State)
	case r.State >= 0:
		s += fmt.Sprintf(", state of %d bytes not taken", r.State)
	default:
		s += ", started fresh"
	}
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	return s
}

// ErrReloadRefused is matched by every reload refused before the old code stopped.
var ErrReloadRefused = errors.New("reload refused")

// ErrNotRunning is matched by a reload of a process that has ended.
var ErrNotRunning = errors.New("not running")

// ReloadError is a reload refused before the old code stopped; the process runs on as it was.
type ReloadError struct {
	PID    bus.PID
	Name   string
	Reason string
	Err    error // ErrNotRunning, or a cause; nil otherwise
}

func (e *ReloadError) Error() string {
	return fmt.Sprintf("reload %s (pid %d) refused: %s", e.Name, e.PID, e.Reason)
}

func (e *ReloadError) Is(target error) bool { return target == ErrReloadRefused }
func (e *ReloadError) Unwrap() error        { return e.Err }

// reloadJob is one Reload from request to outcome, shared by the caller and the thread.
type reloadJob struct {
	to        genSpec
	wasi      *wasmtime.WasiConfig // the new code's WASI view; the thread's store takes it
	grace     time.Duration
	safePoint time.Duration
	// state goes pending -> taken (by the thread at its safe point) or cancelled (by the
	// caller, who gave up waiting); whoever moves it owns wasi.
	state   atomic.Int32
	swapped chan error        // the thread's answer: nil once the new code runs, or why not
	outcome chan ReloadResult // after swapped said nil: how the grace period ended
}

const (
	jobPending int32 = iota
	jobTaken
	jobCancelled
)

// Reload moves the running process pid to the code of m in place and returns once the reload
// is final: committed after the grace period, or rolled back. A *ReloadError (matching
// ErrReloadRefused) means the old code never stopped. If ctx ends first, Reload returns
// ctx's error; a reload already under way goes on and its result shows in Info.Reload.
func (k *Kernel) Reload(ctx context.Context, pid bus.PID, m *Module, ro ReloadOptions) (ReloadResult, error) {
	p := k.Process(pid)
	if p == nil {
		return ReloadResult{}, fmt.Errorf("reload pid %d: %w", pid, ErrNoProcess)
	}
	refuse := func(err error, format string, args ...any) error {
		return &ReloadError{PID: pid, Name: p.name, Reason: fmt.Sprintf(format, args...), Err: err}
	}
	if p.Info().State.Done() {
		return ReloadResult{}, refuse(ErrNotRunning, "the process has ended")
	}
	if !p.reloading.CompareAndSwap(false, true) {
		return ReloadResult{}, refuse(nil, "another reload of it is under way")
	}
	job, err := k.newReloadJob(p, m, ro)
	if err != nil {
		p.reloading.Store(false)
		return ReloadResult{}, refuse(nil, "%v", err)
	}
	p.reloadReq.Store(job)
	p.wakeRecv()
	if err := job.waitSwap(ctx, p); err != nil {
		return ReloadResult{}, err
	}
	select {
	case res := <-job.outcome:
		return res, nil
	case <-ctx.Done():
		return ReloadResult{}, fmt.Errorf("reload %s (pid %d): %w (the reload goes on; see its Info)", p.name, pid, ctx.Err())
	}
}

// newReloadJob checks the new code against the process and prepares what the thread needs.
func (k *Kernel) newReloadJob(p *Process, m *Module, ro ReloadOptions) (*reloadJob, error) {
	if p.stopping.Load() {
		return nil, errors.New("the process is stopping")
	}
	cur := p.spawnSpec()
	if cur.module.Kind == KindCart {
		return nil, errors.New("WASM-4 carts are not reloaded in place; stop the cart and start the new one")
	}
	if m.Kind != cur.module.Kind {
		return nil, fmt.Errorf("%s is a %s and the running code an %s; a reload keeps the kind", m.Path, m.Kind, cur.module.Kind)
	}
	asked := cur.asked
	asked.Version, asked.Publisher, asked.Requests, asked.Script = ro.Version, ro.Publisher, ro.Requests, ro.Script
	if asked.Script == nil {
		asked.Script = m.Script // a module bound to a script (WithScript) runs it, as at Spawn
	}
	o := asked
	o.Name = p.name
	o.Limits = o.Limits.withDefaults(k.cfg.Limits)
	pol, err := k.policy.resolve(m, &o)
	if err != nil {
		return nil, fmt.Errorf("policy of the new version: %v", err)
	}
	if err := k.sameGrants(p, pol); err != nil {
		return nil, err
	}
	eng, code, err := k.codeFor(m, o.Limits.Fuel)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", m.Path, err)
	}
	to := genSpec{module: m, eng: eng, code: code, opts: o, asked: asked}
	w, err := p.reloadWasi(to.opts)
	if err != nil {
		return nil, err
	}
	job := &reloadJob{to: to, wasi: w, grace: ro.Grace, safePoint: ro.SafePoint,
		swapped: make(chan error, 1), outcome: make(chan ReloadResult, 1)}
	if job.grace <= 0 {
		job.grace = k.cfg.ReloadGrace
	}
	if job.safePoint <= 0 {
		job.safePoint = 10 * time.Second
	}
	return job, nil
}

// reloadWasi builds the WASI view for new code of p with options o, its outputs the held ones.
func (p *Process) reloadWasi(o SpawnOptions) (*wasmtime.WasiConfig, error) {
	stdout, stderr, opened, err := p.outs.reloadPaths(o)
	if err != nil {
		return nil, err
	}
	o.Stdout, o.Stderr = stdout, stderr
	w, err := wasiConfig(o.Name, o, p.k.cfg.Home)
	opened()
	if err == nil && p.stdin != nil { // the same pipe: input goes on where the old code stopped
		if err = w.SetStdinFile(fmt.Sprintf("/proc/self/fd/%d", p.stdin.r.Fd())); err != nil {
			w.Close()
			err = fmt.Errorf("stdin: %w", err)
		}
	}
	return w, err
}

// waitSwap waits until the thread has swapped the code in (nil) or refused; it gives up (and
// refuses) when the process does not reach a safe point in time.
func (job *reloadJob) waitSwap(ctx context.Context, p *Process) error {
	within := job.safePoint
	t := time.NewTimer(within)
	defer t.Stop()
	why := ""
	select {
	case err := <-job.swapped:
		return err
	case <-t.C:
		why = fmt.Sprintf("it did not call recv (the safe point) within %v", within)
	case <-ctx.Done():
		why = ctx.Err().Error()
	case <-p.done:
		why = "the process ended"
	}
	if !job.state.CompareAndSwap(jobPending, jobCancelled) {
		return <-job.swapped // the thread took it meanwhile: its answer comes
	}
	p.reloadReq.CompareAndSwap(job, nil)
	job.wasi.Close()
	p.reloading.Store(false)
	return &ReloadError{PID: p.pid, Name: p.name, Reason: why}
}

// wakeup is the context a blocked recv waits on besides the process's own: a reload request
// cancels it, so the thread reaches its safe point without waiting for a message.
type wakeup struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// recvContext is what a blocking recv waits on. Process thread only; the thread makes the
// context, a reload request takes it away and cancels it (wakeRecv). The thread checks for a
// request after this call, so a request that finds no context to cancel is still seen.
func (p *Process) recvContext() context.Context {
	w := p.wake.Load()
	if w == nil {
		ctx, cancel := context.WithCancel(p.ctx)
		w = &wakeup{ctx: ctx, cancel: cancel}
		p.wake.Store(w)
	}
	return w.ctx
}

// wakeRecv ends the wait of a recv blocked on recvContext.
func (p *Process) wakeRecv() {
	if w := p.wake.Swap(nil); w != nil {
		w.cancel()
	}
}

// spawnSpec is the code the process runs now and the options it was asked for with.
func (p *Process) spawnSpec() genSpec {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.spec
}

// genSpec is one version of a process's code: the module, the engine and code it runs on, the
// options in force and the options as asked for (before defaults and policy: what Spawned
// reuses).
type genSpec struct {
	module *Module
	eng    *engineSet
	code   *compiledCode
	opts   SpawnOptions
	asked  SpawnOptions
}

// digest is what Info.Digest shows for g: the module's, or its script's.
func (g *genSpec) digest() string {
	if g.opts.Script != nil {
		return g.opts.Script.Digest()
	}
	return g.module.Digest
}

// label names the code for messages: "VERSION (DIGEST12)".
func (g *genSpec) label() string {
	d := g.digest()
	if len(d) > 12 {
		d = d[:12]
	}
	if g.opts.Version == "" {
		return d
	}
	return g.opts.Version + " (" + d + ")"
}
