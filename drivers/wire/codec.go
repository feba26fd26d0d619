package wire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Enc appends fields to a frame body. The zero value is ready to use.
type Enc struct{ B []byte }

func (e *Enc) U8(v uint8)   { e.B = append(e.B, v) }
func (e *Enc) U16(v uint16) { e.B = binary.LittleEndian.AppendUint16(e.B, v) }
func (e *Enc) U32(v uint32) { e.B = binary.LittleEndian.AppendUint32(e.B, v) }
func (e *Enc) U64(v uint64) { e.B = binary.LittleEndian.AppendUint64(e.B, v) }
func (e *Enc) I32(v int32)  { e.U32(uint32(v)) }
func (e *Enc) I64(v int64)  { e.U64(uint64(v)) }

// Bytes writes a u32 length and the bytes.
func (e *Enc) Bytes(b []byte) { e.U32(uint32(len(b))); e.B = append(e.B, b...) }

// Str writes a u32 length and the string's bytes.
func (e *Enc) Str(s string) { e.U32(uint32(len(s))); e.B = append(e.B, s...) }

// Dec reads fields from a frame body. The first short read sets Err; later reads return zero
// values, so a decoder checks Err once at the end (Finish).
type Dec struct {
	B   []byte
	Err error
	off int
}

func (d *Dec) take(n int) []byte {
	if d.Err != nil {
		return nil
	}
	if n < 0 || len(d.B)-d.off < n {
		d.Err = fmt.Errorf("%w: body too short at byte %d (need %d more, have %d)", ErrProtocol, d.off, n, len(d.B)-d.off)
		return nil
	}
	b := d.B[d.off : d.off+n]
	d.off += n
	return b
}

func (d *Dec) U8() uint8 {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *Dec) U16() uint16 {
	if b := d.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (d *Dec) U32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *Dec) U64() uint64 {
	if b := d.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *Dec) I32() int32 { return int32(d.U32()) }
func (d *Dec) I64() int64 { return int64(d.U64()) }

// Bytes reads a u32 length and that many bytes. The result aliases the body.
func (d *Dec) Bytes() []byte {
	n := d.U32()
	if n > math.MaxInt32 {
		d.take(-1)
		return nil
	}
	return d.take(int(n))
}

// Str reads a u32 length and that many bytes as a string.
func (d *Dec) Str() string { return string(d.Bytes()) }

// Count reads a u32 element count and checks it against max (the caller's bound on a list).
func (d *Dec) Count(max int, what string) int {
	n := d.U32()
	if d.Err == nil && n > uint32(max) {
		d.Err = fmt.Errorf("%w: %d %s, at most %d allowed", ErrProtocol, n, what, max)
		return 0
	}
	return int(n)
}

// Finish returns the first decoding error, or an error if bytes are left over.
func (d *Dec) Finish() error {
	if d.Err != nil {
		return d.Err
	}
	if d.off != len(d.B) {
		return fmt.Errorf("%w: %d trailing bytes in body", ErrProtocol, len(d.B)-d.off)
	}
	return nil
}
