package kernel

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
)

// The bus family of the host ABI (docs/abi.md, "Bus"): send, publish, subscribe, unsubscribe,
// request, reply and regions. Every function copies guest bytes once (payload in, reply or
// region range out), checks every pointer/length pair and maps bus errors to ABI codes with
// codeOf; nothing a guest passes can panic the host. State (subscriptions, region handles)
// lives in the bus under the process's pid and goes with bus.Detach when the process ends.
func init() {
	registerHostFuncs(
		hostFunc{name: "send", params: kinds(i32, i32, i32, i32, i32, i32, i64), results: kinds(i32), fn: hostSend},
		hostFunc{name: "publish", params: kinds(i32, i32, i32, i32, i32, i32), results: kinds(i32), i32: hostPublish},
		hostFunc{name: "subscribe", params: kinds(i32, i32, i32), results: kinds(i32), fn: hostSubscribe},
		hostFunc{name: "unsubscribe", params: kinds(i32), results: kinds(i32), fn: hostUnsubscribe},
		hostFunc{name: "request", params: kinds(i32, i32, i32, i32, i32, i32, i64), results: kinds(i32), fn: hostRequest},
		hostFunc{name: "request_regions", params: kinds(i32, i32, i32, i32, i32, i32, i32, i32, i64), results: kinds(i32), fn: hostRequestRegions},
		hostFunc{name: "reply", params: kinds(i64, i32, i32, i32, i32), results: kinds(i32), fn: hostReply},
		hostFunc{name: "region_create", params: kinds(i64), results: kinds(i32), fn: hostRegionCreate},
		hostFunc{name: "region_read", params: kinds(i32, i64, i32, i32), results: kinds(i32), fn: hostRegionRead},
		hostFunc{name: "region_write", params: kinds(i32, i64, i32, i32), results: kinds(i32), fn: hostRegionWrite},
		hostFunc{name: "region_size", params: kinds(i32), results: kinds(i64), fn: hostRegionSize},
		hostFunc{name: "region_release", params: kinds(i32), results: kinds(i32), fn: hostRegionRelease},
	)
}

// userKindMin is the lowest kind a guest may give a direct message besides 1: kinds 2..31 are
// the bus's and the kernel's (publish, request, reply, input events, quit) and cannot be forged.
const userKindMin = 32

// payload copies the guest bytes [ptr, ptr+n) into a new slice the bus will own. A payload over
// the bus maximum is refused before it is copied.
func (c *call) payload(ptr, n int32) ([]byte, int32) { return c.payloadIn(c.mem(), ptr, n) }

// payloadIn is payload for a host function that reads several ranges of one c.mem() (each
// c.mem() is a call into wasmtime).
func (c *call) payloadIn(mem []byte, ptr, n int32) ([]byte, int32) {
	if n < 0 {
		return nil, errInvalid
	}
	if int(n) > c.Bus().Config().MaxPayload {
		if _, ok := span(mem, ptr, n); !ok {
			return nil, errFault
		}
		return nil, errTooBig
	}
	b, ok := span(mem, ptr, n)
	if !ok {
		return nil, errFault
	}
	if n == 0 {
		return nil, 0
	}
	return append([]byte(nil), b...), 0
}

// topic reads a topic or pattern from guest memory.
func (c *call) topic(ptr, n int32) (string, int32) { return c.topicIn(c.mem(), ptr, n) }

// topicIn is topic for a host function that reads several ranges of one c.mem(). A guest
// mostly repeats its last topic (a stream of publishes): that string serves again rather than
// a copy per call.
func (c *call) topicIn(mem []byte, ptr, n int32) (string, int32) {
	if n <= 0 || n > bus.MaxTopicLen {
		if _, ok := span(mem, ptr, n); !ok {
			return "", errFault
		}
		return "", errBadTopic
	}
	b, ok := span(mem, ptr, n)
	if !ok {
		return "", errFault
	}
	if string(b) != c.lastTopic {
		c.lastTopic = string(b)
	}
	return c.lastTopic, 0
}

// attachments reads nregions (handle u32, flags u32) pairs.
func (c *call) attachments(ptr, n int32) ([]bus.Attachment, int32) {
	if n == 0 {
		return nil, 0
	}
	if n < 0 {
		return nil, errInvalid
	}
	if int(n) > c.Bus().Config().MaxRegions {
		return nil, errTooBig
	}
	raw, ok := c.bytes(ptr, n*8)
	if !ok {
		return nil, errFault
	}
	out := make([]bus.Attachment, n)
	for i := range out {
		out[i] = bus.Attachment{
			Handle: binary.LittleEndian.Uint32(raw[8*i:]),
			Rights: bus.Rights(binary.LittleEndian.Uint32(raw[8*i+4:])),
		}
	}
	return out, 0
}

// busCode maps a bus error to an ABI code; a wait ended by a kill is ERR_CLOSED.
func (c *call) busCode(err error) int32 {
	if err == nil {
		return 0
	}
	if c.p.ctx.Err() != nil {
		return errClosed
	}
	if errors.Is(err, bus.ErrExists) {
		return errInternal
	}
	return codeOf(err)
}

// send(to_pid, kind, payload_ptr, payload_len, regions_ptr, nregions, timeout_ns) -> 0
func hostSend(c *call, a []wasmtime.Val) []wasmtime.Val {
	kind := a[1].I32()
	if kind != int32(bus.KindDirect) && kind < userKindMin {
		return one(errInvalid)
	}
	payload, code := c.payload(a[2].I32(), a[3].I32())
	if code != 0 {
		return one(code)
	}
	regions, code := c.attachments(a[4].I32(), a[5].I32())
	if code != 0 {
		return one(code)
	}
	m := bus.Message{Kind: bus.Kind(kind), From: c.p.pid, To: bus.PID(uint32(a[0].I32())), Payload: payload, Regions: regions}
	b, timeout := c.Bus(), time.Duration(a[6].I64())
	err := b.TrySend(m) // the common case: room at once, no blocking state, no timer
	// A pid on another node: the send waits for that node's acknowledgement, as a blocked call
	// (a kill ends the wait; no deadline runs), bounded by timeout when > 0.
	if (err == bus.ErrFull && timeout != 0) || err == bus.ErrRemote {
		c.block(func() { err = b.SendTimeout(c.Context(), m, timeout) })
	}
	return one(c.busCode(err))
}

// publish(topic_ptr, topic_len, payload_ptr, payload_len, regions_ptr, nregions) -> 0
func hostPublish(c *call, a rawArgs) int32 {
	mem := c.mem()
	topic, code := c.topicIn(mem, a.I32(0), a.I32(1))
	if code != 0 {
		return code
	}
	payload, code := c.payloadIn(mem, a.I32(2), a.I32(3))
	if code != 0 {
		return code
	}
	regions, code := c.attachments(a.I32(4), a.I32(5))
	if code != 0 {
		return code
	}
	m := bus.Message{From: c.p.pid, Topic: topic, Payload: payload, Regions: regions}
	// Blocked (sampled, its deadline paused) only if a reliable subscriber is full and the
	// publish waits: the common publish pays for none of it (a thread-CPU system call, two
	// locks).
	c.waited = false
	err := c.Bus().PublishWaiting(c.Context(), m, c.onWait())
	if c.waited {
		c.unblock()
	}
	return c.busCode(err)
}

// subscribe(pattern_ptr, pattern_len, mode) -> subscription id
func hostSubscribe(c *call, a []wasmtime.Val) []wasmtime.Val {
	pattern, code := c.topic(a[0].I32(), a[1].I32())
	if code != 0 {
		return one(code)
	}
	mode := a[2].I32()
	if mode != int32(bus.Reliable) && mode != int32(bus.Lossy) {
		return one(errInvalid)
	}
	if id := c.p.adoptSubscription(pattern, bus.Mode(mode)); id > 0 { // reload_adopt.go
		return one(int32(id))
	}
	id, err := c.Bus().Subscribe(c.p.pid, pattern, bus.Mode(mode))
	if err != nil {
		return one(c.busCode(err))
	}
	c.p.subs = append(c.p.subs, subRecord{id: id, pattern: bus.Canonical(pattern), mode: bus.Mode(mode)})
	return one(int32(id))
}

// unsubscribe(sub_id) -> 0
func hostUnsubscribe(c *call, a []wasmtime.Val) []wasmtime.Val {
	id := a[0].I32()
	if id <= 0 {
		return one(errNotFound)
	}
	err := c.Bus().Unsubscribe(c.p.pid, uint32(id))
	if err == nil {
		c.p.forgetSubscription(uint32(id))
	}
	return one(c.busCode(err))
}

// request(topic_ptr, topic_len, payload_ptr, payload_len, buf_ptr, buf_cap, timeout_ns) -> length
//
// The reply is written at buf in the message layout. A reply larger than buf_cap is
// ERR_TOO_SMALL and stays queued as the next message recv returns (unless recv already holds
// one it could not fit; then the reply is dropped and its region handles released).
func hostRequest(c *call, a []wasmtime.Val) []wasmtime.Val {
	return request(c, a[0].I32(), a[1].I32(), a[2].I32(), a[3].I32(), 0, 0, a[4].I32(), a[5].I32(), a[6].I64())
}

// request_regions(topic_ptr, topic_len, payload_ptr, payload_len, regions_ptr, nregions, buf_ptr, buf_cap, timeout_ns) -> length
//
// request with region grants attached, as send and publish attach them (a GPU request names
// the regions the driver reads and writes).
func hostRequestRegions(c *call, a []wasmtime.Val) []wasmtime.Val {
	return request(c, a[0].I32(), a[1].I32(), a[2].I32(), a[3].I32(), a[4].I32(), a[5].I32(), a[6].I32(), a[7].I32(), a[8].I64())
}

func request(c *call, topicPtr, topicLen, payloadPtr, payloadLen, regionsPtr, nregions, bufPtr, bufCap int32, timeoutNS int64) []wasmtime.Val {
	mem := c.mem()
	topic, code := c.topicIn(mem, topicPtr, topicLen)
	if code != 0 {
		return one(code)
	}
	payload, code := c.payloadIn(mem, payloadPtr, payloadLen)
	if code != 0 {
		return one(code)
	}
	regions, code := c.attachments(regionsPtr, nregions)
	if code != 0 {
		return one(code)
	}
	if _, ok := span(mem, bufPtr, bufCap); !ok {
		return one(errFault)
	}
	timeout := time.Duration(timeoutNS)
	if timeout == 0 {
		return one(errTimeout) // a request cannot be answered without waiting
	}
	var reply bus.Message
	var err error
	b := c.Bus()
	c.block(func() {
		reply, err = b.Request(c.Context(), bus.Message{From: c.p.pid, Topic: topic, Payload: payload, Regions: regions}, timeout)
	})
	if err != nil {
		return one(c.busCode(err))
	}
	return c.writeReply(&reply, bufPtr, bufCap) // host_call.go
}

func releaseAttachments(b *bus.Bus, pid bus.PID, atts []bus.Attachment) {
	for _, r := range atts {
		b.RegionRelease(pid, r.Handle)
	}
}

// reply(corr_id, payload_ptr, payload_len, regions_ptr, nregions) -> 0
func hostReply(c *call, a []wasmtime.Val) []wasmtime.Val {
	payload, code := c.payload(a[1].I32(), a[2].I32())
	if code != 0 {
		return one(code)
	}
	regions, code := c.attachments(a[3].I32(), a[4].I32())
	if code != 0 {
		return one(code)
	}
	err := c.Bus().Reply(bus.Message{From: c.p.pid, Corr: uint64(a[0].I64()), Payload: payload, Regions: regions})
	if err == nil {
		c.p.answeredBy(uint64(a[0].I64())) // a reactor's handler answering its call itself (serve.go)
	}
	return one(c.busCode(err))
}

// region_create(size) -> handle
func hostRegionCreate(c *call, a []wasmtime.Val) []wasmtime.Val {
	h, err := c.Bus().RegionCreate(c.p.pid, a[0].I64())
	if err != nil {
		return one(c.busCode(err))
	}
	return one(int32(h))
}

// regionRange checks the handle and the guest range of region_read / region_write.
func regionArgs(c *call, a []wasmtime.Val) (h uint32, off int64, mem []byte, code int32) {
	hv, ptr, n := a[0].I32(), a[2].I32(), a[3].I32()
	if n < 0 {
		return 0, 0, nil, errInvalid
	}
	mem, ok := c.bytes(ptr, n)
	if !ok {
		return 0, 0, nil, errFault
	}
	if hv <= 0 {
		return 0, 0, nil, errNotFound
	}
	return uint32(hv), a[1].I64(), mem, 0
}

// region_read(handle, offset, ptr, len) -> len: region bytes [offset, offset+len) into guest memory
func hostRegionRead(c *call, a []wasmtime.Val) []wasmtime.Val {
	h, off, mem, code := regionArgs(c, a)
	if code != 0 {
		return one(code)
	}
	if err := c.Bus().RegionRead(c.p.pid, h, off, mem); err != nil {
		return one(c.busCode(err))
	}
	return one(int32(len(mem)))
}

// region_write(handle, offset, ptr, len) -> len: guest memory into region bytes at offset
func hostRegionWrite(c *call, a []wasmtime.Val) []wasmtime.Val {
	h, off, mem, code := regionArgs(c, a)
	if code != 0 {
		return one(code)
	}
	if err := c.Bus().RegionWrite(c.p.pid, h, off, mem); err != nil {
		return one(c.busCode(err))
	}
	return one(int32(len(mem)))
}

// region_size(handle) -> size (i64), or a negative error code
func hostRegionSize(c *call, a []wasmtime.Val) []wasmtime.Val {
	h := a[0].I32()
	if h <= 0 {
		return i64s(int64(errNotFound))
	}
	n, err := c.Bus().RegionSize(c.p.pid, uint32(h))
	if err != nil {
		return i64s(int64(c.busCode(err)))
	}
	return i64s(n)
}

// region_release(handle) -> 0
func hostRegionRelease(c *call, a []wasmtime.Val) []wasmtime.Val {
	h := a[0].I32()
	if h <= 0 {
		return one(errNotFound)
	}
	return one(c.busCode(c.Bus().RegionRelease(c.p.pid, uint32(h))))
}
