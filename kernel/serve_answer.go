package kernel

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/orbital/orbital/bus"
)

// The answer of a reactor service's handler (serve.go): its i64 result names bytes in guest
// memory, (len << 32) | ptr, with bit 62 for a failure's message and bit 61 for gather: the
// bytes are then a list of (ptr u32, len u32) pairs, at most maxGather, whose ranges one after
// another are the answer. Gather lets a guest answer with a header it encoded and a body it
// already holds, without first copying both into one buffer (an HTTP reply of 64 KiB: one
// copy fewer in the guest, where a copy is slower than on the host).

// maxGather bounds the pairs of a gathered answer.
const maxGather = 16

// answer replies to m with what the handler's result r names, or fails the call with why it
// names nothing.
func (p *Process) answer(m *bus.Message, r int64) {
	if r < 0 {
		p.failCall(m, exportHandle+" answered "+codeName(int32(r)))
		return
	}
	ln, at := (r>>32)&(1<<29-1), r&0xffffffff
	mem := p.memory.UnsafeData(p.store) // the handler may have grown memory
	if at+ln > int64(len(mem)) {
		p.failCall(m, fmt.Sprintf("%s returned bytes [%d, +%d), outside its memory", exportHandle, at, ln))
		return
	}
	list := mem[at : at+ln]
	n := ln
	if r&replyGather != 0 {
		var why string
		if n, why = gatherLen(mem, list); why != "" {
			p.failCall(m, exportHandle+" returned "+why)
			return
		}
	} else {
		list = nil
	}
	if max := p.k.bus.Config().MaxPayload; n > int64(max) {
		p.failCall(m, fmt.Sprintf("its reply of %d bytes is over the bus's maximum of %d", n, max))
		return
	}
	var out []byte
	switch {
	case n == 0:
	case r&replyFailed == 0 && int64(cap(m.ReplyBuf)) >= n:
		out = m.ReplyBuf[:n] // the caller's, lent for this (bus.Message.ReplyBuf)
	default:
		out = make([]byte, n)
	}
	if list != nil {
		gather(out, mem, list)
	} else {
		copy(out, mem[at:at+ln])
	}
	if r&replyFailed != 0 {
		p.failCall(m, string(bytes.ToValidUTF8(out, []byte("\uFFFD"))))
		return
	}
	p.k.bus.Reply(bus.Message{From: p.pid, Corr: m.Corr, Payload: out})
}

// gatherLen checks a gathered answer's list of (ptr, len) pairs against mem and returns the
// answer's length, or why the list is bad.
func gatherLen(mem, list []byte) (int64, string) {
	if len(list)%8 != 0 || len(list)/8 > maxGather {
		return 0, fmt.Sprintf("a gather list of %d bytes (want up to %d pairs of 8 bytes)", len(list), maxGather)
	}
	var n int64
	for i := 0; i < len(list); i += 8 {
		ptr, ln := int64(binary.LittleEndian.Uint32(list[i:])), int64(binary.LittleEndian.Uint32(list[i+4:]))
		if ptr+ln > int64(len(mem)) {
			return 0, fmt.Sprintf("bytes [%d, +%d) in its gather list, outside its memory", ptr, ln)
		}
		n += ln
	}
	return n, ""
}

// gather copies the ranges list names (checked by gatherLen) into dst, one after another.
func gather(dst, mem, list []byte) {
	off := 0
	for i := 0; i < len(list); i += 8 {
		ptr, ln := binary.LittleEndian.Uint32(list[i:]), binary.LittleEndian.Uint32(list[i+4:])
		off += copy(dst[off:], mem[ptr:ptr+ln])
	}
}
