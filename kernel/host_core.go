package kernel

import (
	"time"
	"unicode/utf8"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
)

// The core family of the host ABI: log, time, pid and recv (docs/abi.md, "Core").
func init() {
	registerHostFuncs(
		hostFunc{name: "log", params: kinds(i32, i32, i32), results: kinds(i32), fn: hostLog},
		hostFunc{name: "time_monotonic", results: kinds(i64), fn: func(*call, []wasmtime.Val) []wasmtime.Val {
			return []wasmtime.Val{wasmtime.ValI64(monoNow())}
		}},
		hostFunc{name: "time_wall", results: kinds(i64), fn: func(*call, []wasmtime.Val) []wasmtime.Val {
			return []wasmtime.Val{wasmtime.ValI64(time.Now().UnixNano())}
		}},
		hostFunc{name: "pid", results: kinds(i32), fn: func(c *call, _ []wasmtime.Val) []wasmtime.Val {
			return one(int32(c.p.pid))
		}},
		hostFunc{name: "recv", params: kinds(i32, i32, i64), results: kinds(i32), i32: hostRecv},
	)
}

// log(level, ptr, len) -> 0 | ERR_INVALID | ERR_FAULT
func hostLog(c *call, a []wasmtime.Val) []wasmtime.Val {
	level := a[0].I32()
	if level < 0 || level > 3 {
		return one(errInvalid)
	}
	b, ok := c.bytes(a[1].I32(), a[2].I32())
	if !ok {
		return one(errFault)
	}
	cut := len(b) > maxLogLine
	if cut {
		b = b[:maxLogLine]
	}
	if !utf8.Valid(b) && !cut {
		return one(errInvalid)
	}
	line := string(b)
	if cut {
		line = string([]rune(line)) + " [cut: line longer than 4 KiB]"
	}
	c.p.k.cfg.Log(c.p.pid, c.p.name, int(level), line)
	return one(0)
}

// recv(buf_ptr, buf_cap, timeout_ns) -> total length | error
//
// A message that does not fit stays pending (ERR_TOO_SMALL) and is the next one delivered.
// While a quit request is pending the process is stopping: queued messages (the quit request
// first among them) are still delivered, but an empty inbox returns ERR_CLOSED at once. A
// reactor service (serve.go) gets only a reply that did not fit a request's or call's buffer;
// otherwise ERR_INVALID: its handler is called for its messages.
func hostRecv(c *call, a rawArgs) int32 {
	ptr, capacity, timeout := a.I32(0), a.I32(1), a.I64(2)
	buf, ok := c.bytes(ptr, capacity)
	if !ok {
		return errFault
	}
	p := c.p
	if p.svc != nil && p.pending == nil {
		return errInvalid // a reactor service gets its calls through its handler (serve.go)
	}
	if p.rl != nil || p.reloadReq.Load() != nil { // a reload to carry out or finish (reload_thread.go)
		if p.atRecv(c); p.unwind {
			return errClosed
		}
	}
	var m bus.Message // on the stack: only a message that does not fit is kept (p.pending)
	msg := p.pending
	if msg == nil {
		var code int32
		if m, code = p.nextMessage(c, timeout); code != 0 {
			return code
		}
		msg = &m
	}
	if p.reentered { // guest code ran since buf was checked (a reload's save or restore)
		p.reentered = false
		if buf, ok = c.bytes(ptr, capacity); !ok {
			p.keepPending(msg)
			return errFault
		}
	}
	n, err := bus.Encode(buf, msg) // writes nothing when buf is too small
	if err != nil {
		p.keepPending(msg)
		return errTooSmall
	}
	p.pending = nil
	return int32(n)
}

// keepPending makes msg the message recv delivers next (it did not fit, or the buffer went).
func (p *Process) keepPending(msg *bus.Message) {
	if msg != p.pending {
		kept := *msg
		p.pending = &kept
	}
}

// nextMessage takes the next message from the inbox, waiting as timeout says. A reload
// requested while it waits is carried out here, the guest being at its safe point; if the
// reload is refused the wait goes on for what is left of timeout.
func (p *Process) nextMessage(c *call, timeout int64) (bus.Message, int32) {
	for {
		if m, ok := p.inbox.TryRecv(); ok {
			return m, 0
		}
		if p.stopping.Load() || p.killed.Load() {
			return bus.Message{}, errClosed
		}
		if timeout == 0 {
			return bus.Message{}, errTimeout
		}
		ctx := p.recvContext() // p.ctx, also ended by a reload request (reload.go)
		if p.reloadReq.Load() != nil {
			if p.atRecv(c); p.unwind {
				return bus.Message{}, errClosed
			}
			continue
		}
		var m bus.Message
		var err error
		start := monoNow()
		c.block(func() { m, err = p.inbox.RecvTimeout(ctx, time.Duration(timeout)) })
		if err == nil {
			return m, 0
		}
		if p.ctx.Err() != nil || p.stopping.Load() {
			return bus.Message{}, errClosed
		}
		if ctx.Err() == nil {
			return bus.Message{}, codeOf(err)
		}
		if timeout > 0 { // woken for a reload: wait out the rest
			if timeout -= monoNow() - start; timeout <= 0 {
				return bus.Message{}, errTimeout
			}
		}
	}
}
