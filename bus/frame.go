package bus

import (
	"encoding/binary"
	"fmt"
)

// headerSize is the fixed header of the ABI message layout (docs/abi.md).
const headerSize = 48

// EncodedSize is the number of bytes Encode writes for m.
func EncodedSize(m *Message) int {
	return headerSize + 4*len(m.Regions) + len(m.Topic) + len(m.Payload)
}

// Encode writes m into dst in the ABI message layout (docs/abi.md): the 48-byte header, the
// region handles (u32 each), the topic, the payload. It returns the length written, or
// ErrInvalid if dst is shorter than EncodedSize(m) (nothing is written then).
func Encode(dst []byte, m *Message) (int, error) {
	n := EncodedSize(m)
	if len(dst) < n {
		return 0, fmt.Errorf("encode: %w: buffer of %d bytes, message needs %d", ErrInvalid, len(dst), n)
	}
	le := binary.LittleEndian
	le.PutUint32(dst[0:], uint32(m.Kind))
	le.PutUint32(dst[4:], uint32(m.From))
	le.PutUint64(dst[8:], m.Corr)
	le.PutUint32(dst[16:], uint32(len(m.Topic)))
	le.PutUint32(dst[20:], uint32(len(m.Payload)))
	le.PutUint32(dst[24:], uint32(len(m.Regions)))
	le.PutUint32(dst[28:], m.Flags)
	le.PutUint64(dst[32:], uint64(m.Sent))
	le.PutUint32(dst[40:], m.Sub)
	le.PutUint32(dst[44:], 0)
	off := headerSize
	for _, a := range m.Regions {
		le.PutUint32(dst[off:], a.Handle)
		off += 4
	}
	off += copy(dst[off:], m.Topic)
	off += copy(dst[off:], m.Payload)
	return off, nil
}

// Decode parses one message in the ABI layout, as a guest does. The payload aliases buf. The
// region rights are not in the layout; decoded attachments carry RightRead. Any length that
// does not fit buf is ErrInvalid, never a panic.
func Decode(buf []byte) (Message, int, error) {
	if len(buf) < headerSize {
		return Message{}, 0, fmt.Errorf("decode: %w: %d bytes, the header alone is %d", ErrInvalid, len(buf), headerSize)
	}
	le := binary.LittleEndian
	tlen := uint64(le.Uint32(buf[16:]))
	plen := uint64(le.Uint32(buf[20:]))
	nreg := uint64(le.Uint32(buf[24:]))
	total := headerSize + 4*nreg + tlen + plen
	if total > uint64(len(buf)) {
		return Message{}, 0, fmt.Errorf("decode: %w: the header says %d bytes, the buffer has %d", ErrInvalid, total, len(buf))
	}
	m := Message{
		Kind:  Kind(le.Uint32(buf[0:])),
		From:  PID(le.Uint32(buf[4:])),
		Corr:  le.Uint64(buf[8:]),
		Sent:  int64(le.Uint64(buf[32:])),
		Sub:   le.Uint32(buf[40:]),
		Flags: le.Uint32(buf[28:]),
	}
	off := uint64(headerSize)
	if nreg > 0 {
		m.Regions = make([]Attachment, nreg)
		for i := range m.Regions {
			m.Regions[i] = Attachment{Handle: le.Uint32(buf[off:]), Rights: RightRead}
			off += 4
		}
	}
	m.Topic = string(buf[off : off+tlen])
	off += tlen
	m.Payload = buf[off : off+plen : off+plen]
	return m, int(total), nil
}
