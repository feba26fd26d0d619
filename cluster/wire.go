package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/orbital/orbital/bus"
)

// The frame a bus message travels in between nodes (subject orb.n.NODE.m, and replies on
// orb.n.NODE.r). Little-endian:
//
//	0   u8   version (1)
//	1   u8   op: 1 message, 2 reply, 3 error, 4 ack
//	2   u16  regions
//	4   u32  kind (op error: the error code)
//	8   u32  sender pid on the sending node
//	12  u32  receiver pid (direct sends), else 0
//	16  u64  correlation id
//	24  u16  sender's module name length
//	26  u16  topic length
//	28  u32  payload length
//	32  module name, topic, payload, then per region: u32 rights, u32 length, bytes
//
// A frame that does not parse exactly (lengths past its end, bytes left over, a bad topic
// or name) is refused and counted; it never reaches the bus.

const (
	frameVersion = 1
	frameHeader  = 32

	opMessage = 1
	opReply   = 2
	opError   = 3
	opAck     = 4
)

// MaxRegionCopy bounds the region bytes one message carries to another node; a larger
// message is ErrTooBig for its sender.
const MaxRegionCopy = 8 << 20

// frame is a decoded frame. Payload and region bytes alias the received buffer.
type frame struct {
	op      uint8
	kind    uint32
	from    uint32
	to      uint32
	corr    uint64
	module  string
	topic   string
	payload []byte
	regions []wireRegion
}

type wireRegion struct {
	rights uint32
	data   []byte
}

func (f frame) size() int {
	n := frameHeader + len(f.module) + len(f.topic) + len(f.payload)
	for _, r := range f.regions {
		n += 8 + len(r.data)
	}
	return n
}

func (f frame) encode() []byte { return f.appendTo(make([]byte, 0, f.size())) }

// appendTo appends f's encoding to dst.
func (f frame) appendTo(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, f.size())...)
	b := dst[start:]
	le := binary.LittleEndian
	b[0], b[1] = frameVersion, f.op
	le.PutUint16(b[2:], uint16(len(f.regions)))
	le.PutUint32(b[4:], f.kind)
	le.PutUint32(b[8:], f.from)
	le.PutUint32(b[12:], f.to)
	le.PutUint64(b[16:], f.corr)
	le.PutUint16(b[24:], uint16(len(f.module)))
	le.PutUint16(b[26:], uint16(len(f.topic)))
	le.PutUint32(b[28:], uint32(len(f.payload)))
	off := frameHeader
	off += copy(b[off:], f.module)
	off += copy(b[off:], f.topic)
	off += copy(b[off:], f.payload)
	for _, r := range f.regions {
		le.PutUint32(b[off:], r.rights)
		le.PutUint32(b[off+4:], uint32(len(r.data)))
		off += 8
		off += copy(b[off:], r.data)
	}
	return dst
}

var errFrame = errors.New("malformed frame")

// decodeFrame parses b strictly.
func decodeFrame(b []byte) (frame, error) { return decodeFrameAfter(b, nil) }

// sameString is string(b), or prev when it has those bytes: the frames of a batch mostly
// share their sender's module name and topic, and a copy of each would be an allocation
// per message.
func sameString(b []byte, prev string) string {
	if string(b) == prev {
		return prev
	}
	return string(b)
}

// decodeFrameAfter is decodeFrame for a frame that follows prev (nil: none) in a batch.
func decodeFrameAfter(b []byte, prev *frame) (frame, error) {
	if len(b) < frameHeader {
		return frame{}, fmt.Errorf("%w: %d bytes, the header alone is %d", errFrame, len(b), frameHeader)
	}
	le := binary.LittleEndian
	if b[0] != frameVersion {
		return frame{}, fmt.Errorf("%w: version %d (this node speaks %d)", errFrame, b[0], frameVersion)
	}
	f := frame{op: b[1], kind: le.Uint32(b[4:]), from: le.Uint32(b[8:]), to: le.Uint32(b[12:]), corr: le.Uint64(b[16:])}
	if f.op < opMessage || f.op > opAck {
		return frame{}, fmt.Errorf("%w: op %d", errFrame, f.op)
	}
	nreg := int(le.Uint16(b[2:]))
	ml, tl, pl := int(le.Uint16(b[24:])), int(le.Uint16(b[26:])), uint64(le.Uint32(b[28:]))
	if ml > maxName || tl > bus.MaxTopicLen {
		return frame{}, fmt.Errorf("%w: name of %d or topic of %d bytes", errFrame, ml, tl)
	}
	rest := b[frameHeader:]
	if uint64(ml+tl)+pl > uint64(len(rest)) {
		return frame{}, fmt.Errorf("%w: lengths past the end", errFrame)
	}
	if prev != nil {
		f.module = sameString(rest[:ml], prev.module)
		f.topic = sameString(rest[ml:ml+tl], prev.topic)
	} else {
		f.module = string(rest[:ml])
		f.topic = string(rest[ml : ml+tl])
	}
	f.payload = rest[ml+tl : uint64(ml+tl)+pl : uint64(ml+tl)+pl]
	rest = rest[uint64(ml+tl)+pl:]
	sameTopic := prev != nil && f.topic == prev.topic && f.kind == prev.kind && f.op == prev.op
	switch {
	case sameTopic: // checked with the frame before
	case f.kind == uint32(bus.KindCall) && f.op == opMessage:
		for i := 0; i < len(f.topic); i++ { // "service.method": printable ASCII, no spaces
			if c := f.topic[i]; c <= ' ' || c > '~' {
				return frame{}, fmt.Errorf("%w: call name %q", errFrame, f.topic)
			}
		}
	case f.topic != "" && bus.ValidTopic(f.topic) != nil: // no wildcards either
		return frame{}, fmt.Errorf("%w: topic %q", errFrame, f.topic)
	}
	var total uint64
	for range nreg {
		if len(rest) < 8 {
			return frame{}, fmt.Errorf("%w: region header past the end", errFrame)
		}
		rights, n := le.Uint32(rest), uint64(le.Uint32(rest[4:]))
		rest = rest[8:]
		if n > uint64(len(rest)) {
			return frame{}, fmt.Errorf("%w: region past the end", errFrame)
		}
		total += n
		f.regions = append(f.regions, wireRegion{rights: rights, data: rest[:n:n]})
		rest = rest[n:]
	}
	if total > MaxRegionCopy {
		return frame{}, fmt.Errorf("%w: %d region bytes, the limit is %d", errFrame, total, MaxRegionCopy)
	}
	if len(rest) != 0 {
		return frame{}, fmt.Errorf("%w: %d bytes after the end", errFrame, len(rest))
	}
	return f, nil
}

// Error codes in error frames: a bus sentinel on one side is the same sentinel on the other.
var wireErrors = []error{nil, bus.ErrNotFound, bus.ErrDenied, bus.ErrFull, bus.ErrTooBig, bus.ErrTimeout, bus.ErrInvalid, bus.ErrLimit, bus.ErrRights, bus.ErrBadTopic,
	ErrNoService, ErrServiceCrashed, errServiceFailed}

// errServiceFailed is the code of a *ServiceFailed: its message is the payload.
var errServiceFailed = errors.New("the service failed the call")

func errCode(err error) uint32 {
	var sf *ServiceFailed
	if errors.As(err, &sf) {
		return uint32(len(wireErrors) - 1)
	}
	for i, e := range wireErrors[1:] {
		if errors.Is(err, e) {
			return uint32(i + 1)
		}
	}
	return 0xffff
}

// errFrameOf is the error frame answering corr with err (its text as the payload).
func errFrameOf(corr uint64, err error) frame {
	msg := err.Error()
	var sf *ServiceFailed
	if errors.As(err, &sf) {
		msg = sf.Msg
	}
	if len(msg) > 1024 {
		msg = msg[:1024]
	}
	return frame{op: opError, kind: errCode(err), corr: corr, payload: []byte(msg)}
}

// wireErr turns an error frame back into an error matching the sentinel it was sent as.
func wireErr(node string, f frame) error {
	if f.kind == uint32(len(wireErrors)-1) { // errServiceFailed
		return &ServiceFailed{Msg: string(f.payload)}
	}
	if int(f.kind) < len(wireErrors) && f.kind > 0 {
		return fmt.Errorf("%w (on node %s: %s)", wireErrors[f.kind], node, f.payload)
	}
	return fmt.Errorf("node %s: %s", node, f.payload)
}
