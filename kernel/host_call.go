package kernel

import (
	"errors"
	"time"
	"unicode/utf8"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/policies"
)

// The services family of the host ABI (docs/abi.md, "Services"): call a service by name, and
// fail a call one has received. The door is the caller's [bus] call grant, checked against the
// service's name (audited, and asked about like the network); Config.Services picks the
// process and delivers the call (service.go).
func init() {
	registerHostFuncs(
		hostFunc{name: "call", params: kinds(i32, i32, i32, i32, i32, i32, i64), results: kinds(i32), fn: hostCall},
		hostFunc{name: "reply_error", params: kinds(i64, i32, i32), results: kinds(i32), fn: hostReplyError},
	)
}

// maxCallName bounds a call's name: a module name, a dot and a method.
const maxCallName = 64 + 1 + MaxMethod

// call(name_ptr, name_len, payload_ptr, payload_len, buf_ptr, buf_cap, timeout_ns) -> length
//
// The reply is written at buf in the message layout (kind 4; flags bit 0 set when the service
// failed the call, the payload then being its message). A reply larger than buf_cap is
// ERR_TOO_SMALL and stays queued as the next message recv returns, as request's does.
func hostCall(c *call, a []wasmtime.Val) []wasmtime.Val {
	nameLen := a[1].I32()
	name, ok := c.bytes(a[0].I32(), nameLen)
	if !ok {
		return one(errFault)
	}
	if nameLen == 0 || nameLen > maxCallName {
		return one(errInvalid)
	}
	service, method, err := SplitCallName(string(name))
	if err != nil {
		return one(errInvalid)
	}
	payload, code := c.payload(a[2].I32(), a[3].I32())
	if code != 0 {
		return one(code)
	}
	bufPtr, bufCap := a[4].I32(), a[5].I32()
	if _, ok := c.bytes(bufPtr, bufCap); !ok {
		return one(errFault)
	}
	timeout := a[6].I64()
	if timeout == 0 {
		return one(errTimeout) // a call cannot be answered without waiting
	}
	if err := c.p.checkDoor(policies.OpCall, service); err != nil {
		return one(codeOf(err))
	}
	svcs := c.p.k.cfg.Services
	if svcs == nil {
		return one(errNotFound)
	}
	var reply bus.Message
	c.block(func() {
		reply, err = svcs.Call(c.Context(), ServiceCall{From: c.p.pid, Service: service, Method: method, Payload: payload, Timeout: time.Duration(timeout)})
	})
	var failed *ServiceError
	switch {
	case errors.As(err, &failed):
		reply = bus.Message{Kind: bus.KindReply, Flags: bus.FlagFailed, Payload: []byte(failed.Msg)}
	case err != nil:
		return one(c.busCode(err))
	}
	return c.writeReply(&reply, bufPtr, bufCap)
}

// writeReply encodes reply at [bufPtr, +bufCap), or keeps it as the next message recv returns
// (ERR_TOO_SMALL) when it does not fit.
func (c *call) writeReply(reply *bus.Message, bufPtr, bufCap int32) []wasmtime.Val {
	b := c.Bus()
	buf, ok := c.bytes(bufPtr, bufCap) // memory may have moved while we waited
	if !ok {
		releaseAttachments(b, c.p.pid, reply.Regions)
		return one(errFault)
	}
	n, err := bus.Encode(buf, reply)
	if err != nil {
		if c.p.pending == nil {
			c.p.pending = reply
		} else {
			releaseAttachments(b, c.p.pid, reply.Regions)
		}
		return one(errTooSmall)
	}
	return one(int32(n))
}

// reply_error(corr_id, msg_ptr, msg_len) -> 0
//
// Answers the call (or request) corr_id with a failure: the caller's reply has flags bit 0
// set and msg (UTF-8) as its payload; a Go caller gets a *ServiceError.
func hostReplyError(c *call, a []wasmtime.Val) []wasmtime.Val {
	msg, code := c.payload(a[1].I32(), a[2].I32())
	if code != 0 {
		return one(code)
	}
	if !utf8.Valid(msg) {
		return one(errInvalid)
	}
	err := c.Bus().Reply(bus.Message{From: c.p.pid, Corr: uint64(a[0].I64()), Flags: bus.FlagFailed, Payload: msg})
	if err == nil {
		c.p.answeredBy(uint64(a[0].I64()))
	}
	return one(c.busCode(err))
}
