package kernel

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
)

// A reactor service: a module with _initialize that exports orbital_service_handle. After
// _initialize the process thread stays in serve, which takes the inbox's messages one at a
// time: a call (or a request) goes to the handler, on the process's own thread, and what the
// handler returns is the reply; a quit request ends the process (exit 0). So a service needs
// no receive loop of its own, in any language. The point between two handler calls is the
// only one where the guest holds no half-done work. ABI: docs/abi.md, "Services".
//
//	orbital_service_buffer(len i32) -> i32     where the kernel may write a request of len bytes
//	orbital_service_handle(ptr i32, len i32) -> i64
//
// The handler's result is (len << 32) | ptr: len bytes at ptr are the reply, or with bit 62
// the failure's message; with bit 61 they are a list of (ptr u32, len u32) pairs whose ranges,
// one after another, are it (serve_answer.go). A negative result fails the call with that
// error code. A handler that answered the call itself (reply or reply_error with its
// correlation id: a reply that grants regions) has its result ignored. A trap in the handler
// ends the process as any trap does; the caller gets ERR_CRASHED (its inbox is detached,
// which ends the pending call).

// serveState is a reactor service's exports and request buffer; process thread only.
type serveState struct {
	handle, buffer *wasmtime.Func
	save, restore  *wasmtime.Func // orbital_reload_save and _restore, nil when not exported
	buf, bufCap    int32          // the buffer the guest gave for requests up to bufCap bytes
	dropped        bool           // a message that is not a call was dropped (logged once)
	inHand         uint64         // the correlation id of the call the handler runs for (0: none)
	answered       bool           // the handler answered inHand itself (reply, reply_error)
}

// Export names and flags of the handler ABI.
const (
	exportHandle = "orbital_service_handle"
	exportBuffer = "orbital_service_buffer"
	replyFailed  = 1 << 62
	replyGather  = 1 << 61 // the range is a list of (ptr, len) pairs: serve_answer.go
)

// findHandler looks for the handler exports of a reactor. A reactor without
// orbital_service_handle is not a handler service (nil, nil): it runs _initialize and ends.
func findHandler(path string, inst *wasmtime.Instance, store *wasmtime.Store) (*serveState, error) {
	ex := inst.GetExport(store, exportHandle)
	if ex == nil || ex.Func() == nil {
		return nil, nil
	}
	s := &serveState{handle: ex.Func()}
	if !sameSig(s.handle.Type(store), kinds(i32, i32), kinds(i64)) {
		return nil, &ModuleError{File: path, Msg: exportHandle + " must have type (i32, i32) -> i64 (docs/abi.md, Services)"}
	}
	if ex := inst.GetExport(store, exportBuffer); ex != nil && ex.Func() != nil && sameSig(ex.Func().Type(store), kinds(i32), kinds(i32)) {
		s.buffer = ex.Func()
	} else {
		return nil, &ModuleError{File: path, Msg: "exports " + exportHandle + " but no " + exportBuffer + " of type (i32) -> i32 (docs/abi.md, Services)"}
	}
	s.save = instanceFunc(inst, store, "orbital_reload_save", nil, kinds(i64))
	s.restore = instanceFunc(inst, store, "orbital_reload_restore", kinds(i32, i32), kinds(i32))
	return s, nil
}

// instanceFunc is inst's export name if it is a function of the given type, else nil.
func instanceFunc(inst *wasmtime.Instance, store *wasmtime.Store, name string, params, results []wasmtime.ValKind) *wasmtime.Func {
	ex := inst.GetExport(store, name)
	if ex == nil || ex.Func() == nil || !sameSig(ex.Func().Type(store), params, results) {
		return nil
	}
	return ex.Func()
}

// errSwap ends serve at a reload's safe point: the thread starts the new code (runCode).
var errSwap = errors.New("orbital: reloading")

// serveCode runs the reactor service's code after its _initialize: the state a reload hands
// over first (its first safe point), then serve.
func (p *Process) serveCode() error {
	if rl := p.rl; rl != nil && rl.fresh {
		if err := p.takeState(p.store, p.svc.restore, rl); err != nil { // reload_thread.go
			p.setCause(err.Error())
			return err
		}
	}
	return p.serve()
}

// serve hands the inbox's calls to the handler until a quit request, a stop or a kill (nil), a
// reload (errSwap), or a trap (its error, which ends the process). Between two calls is the
// safe point where a reload replaces the code.
func (p *Process) serve() error {
	for {
		if rl := p.rl; rl != nil && (rl.phase == phaseRolledBack || rl.grace.Load() != graceRunning) {
			p.rl = nil // the last reload is final
		}
		if p.reloadReq.Load() != nil && p.swapServed() {
			return errSwap
		}
		m, ok := p.nextServed()
		if !ok {
			return nil
		}
		switch m.Kind {
		case 0: // woken for a reload
		case bus.KindCall, bus.KindRequest:
			if err := p.handle(&m); err != nil {
				return err
			}
		case bus.KindQuit:
			return nil
		default:
			releaseAttachments(p.k.bus, p.pid, m.Regions)
			if !p.svc.dropped {
				p.svc.dropped = true
				p.k.cfg.Log(p.pid, p.name, 2, fmt.Sprintf("a reactor service gets calls only; dropped a %v message (and will drop others without saying so)", m.Kind))
			}
		}
	}
}

// nextServed waits for the next message; false when the process is being stopped and nothing
// is queued, or killed. A reload request ends the wait with an empty message.
func (p *Process) nextServed() (bus.Message, bool) {
	if m, ok := p.inbox.TryRecv(); ok {
		return m, true
	}
	if p.stopping.Load() || p.killed.Load() {
		return bus.Message{}, false
	}
	ctx := p.recvContext() // p.ctx, also ended by a reload request (reload.go)
	if p.reloadReq.Load() != nil {
		return bus.Message{}, true
	}
	p.sample(p.memSize())
	p.setState(Blocked)
	m, err := p.inbox.Recv(ctx)
	p.setState(Running)
	if err != nil && p.ctx.Err() == nil && ctx.Err() != nil {
		return bus.Message{}, true // woken for a reload
	}
	return m, err == nil
}

// swapServed carries out a reload at the reactor's safe point, between two calls: the new
// code is linked and the old code's state saved (its runtime is up between calls, so its
// orbital_reload_save is called from the host), and serve returns errSwap for runCode to
// start the new code; false when the reload was refused and the old code goes on.
func (p *Process) swapServed() bool {
	job := p.reloadReq.Swap(nil)
	if job == nil || !job.state.CompareAndSwap(jobPending, jobTaken) {
		return false
	}
	refuse := func(format string, args ...any) bool {
		p.reloading.Store(false)
		job.swapped <- &ReloadError{PID: p.pid, Name: p.name, Reason: fmt.Sprintf(format, args...)}
		return false
	}
	if p.stopping.Load() {
		job.wasi.Close()
		return refuse("the process is stopping")
	}
	swapAt := monoNow()
	img, entry, err := p.buildImage(&job.to, job.wasi, p.fuelLeft())
	job.wasi = nil
	switch {
	case err != nil:
		return refuse("the new code does not link: %s", oneLine(err.Error()))
	case img.svc == nil:
		img.close()
		return refuse("the new code exports no %s: it would not answer calls", exportHandle)
	}
	from := p.spawnSpec()
	rl := &reloadState{job: job, from: from, next: img, entry: entry, swapAt: swapAt,
		res: ReloadResult{PID: p.pid, Name: p.name, From: from.label(), To: job.to.label(), State: -1}}
	mem := func() []byte { return p.memory.UnsafeData(p.store) }
	if err := p.saveState(p.store, p.svc.save, mem, rl); err != nil {
		img.close()
		return refuse("%v", err)
	}
	p.rl = rl
	return true
}

// handle runs the handler on m and replies with what it returns.
func (p *Process) handle(m *bus.Message) error {
	n := bus.EncodedSize(m)
	ptr, why := p.requestBuffer(n)
	if why != "" {
		p.failCall(m, why)
		return nil
	}
	mem := p.memory.UnsafeData(p.store)
	if _, err := bus.Encode(mem[ptr:int(ptr)+n], m); err != nil {
		p.failCall(m, "internal: "+err.Error())
		return nil
	}
	p.lastHost.Store(monoNow()) // the handler deadline counts from here
	p.svc.inHand, p.svc.answered = m.Corr, false
	r, err := callI32s(p.store, p.svc.handle, 2, ptr, int32(n))
	answered := p.svc.answered
	p.svc.inHand, p.svc.answered = 0, false
	p.lastHost.Store(monoNow())
	if answered && err == nil {
		return nil // it replied itself (with regions, say): its result says nothing more
	}
	if err != nil {
		if p.rl != nil { // new code on probation: it is rolled back, and the process goes on
			p.failCall(m, "the service's new code failed while reloading: "+firstLine(err.Error()))
		}
		return err // a trap: the process ends, and with it the call
	}
	p.answer(m, r)
	return nil
}

// requestBuffer returns where in guest memory a request of n bytes goes, asking the guest
// (orbital_service_buffer) only when n is larger than any request before; why says what is
// wrong when there is none.
func (p *Process) requestBuffer(n int) (int32, string) {
	s := p.svc
	if int32(n) > s.bufCap || s.bufCap == 0 {
		r, err := callI32s(p.store, s.buffer, 1, int32(n), 0)
		if err != nil || r <= 0 {
			s.bufCap = 0
			return 0, fmt.Sprintf("its %s(%d) gave no buffer (%v)", exportBuffer, n, errOr(err, codeName(int32(r))))
		}
		s.buf, s.bufCap = int32(r), int32(n)
	}
	if int64(s.buf)+int64(n) > int64(len(p.memory.UnsafeData(p.store))) {
		s.bufCap = 0
		return 0, fmt.Sprintf("its %s returned a buffer outside its memory", exportBuffer)
	}
	return s.buf, ""
}

// answeredBy notes that the guest answered call corr itself (host reply or reply_error, on
// the process thread): if it is the call in hand, the handler's result is not a second reply.
func (p *Process) answeredBy(corr uint64) {
	if s := p.svc; s != nil && s.inHand != 0 && s.inHand == corr {
		s.answered = true
	}
}

// failCall answers m with a failure: the caller's reply carries bus.FlagFailed and why.
func (p *Process) failCall(m *bus.Message, why string) {
	if !utf8.ValidString(why) {
		why = string(bytes.ToValidUTF8([]byte(why), []byte("\uFFFD")))
	}
	p.k.bus.Reply(bus.Message{From: p.pid, Corr: m.Corr, Flags: bus.FlagFailed, Payload: []byte(why)})
}

func errOr(err error, s string) string {
	if err != nil {
		return firstLine(err.Error())
	}
	return s
}
