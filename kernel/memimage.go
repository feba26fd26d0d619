package kernel

import (
	"encoding/binary"
	"errors"
	"math"
)

// Copy-on-write memory images (docs/design/performance.md, 2026-12-04). The kernel creates
// every linear memory itself (memlimit_cgo.go: one ceiling per process and per process tree),
// and wasmtime maps its copy-on-write images only into memories it creates, so without this
// file every instance copied its module's data segments into fresh pages: 1.4 MB for a Go
// module, and even a 14-byte segment costs a page fault at instantiation and a TLB shootdown
// when the memory is unmapped. So the kernel takes the data out of the module before
// compiling it: the active data segments of the memories the module defines leave it
// (splitDataSection), and their bytes become each memory's image, a sealed
// memfd (memimage_cgo.go) that the kernel's memory creator maps privately (copy-on-write) at
// the start of the memory when it creates it (memlimit.c). Pages the guest never writes stay
// shared by every instance of the module; the budget is charged exactly as before.
//
// A module is split only when the result is certain to be the same memory: every active
// segment of a defined memory has a constant i32 offset and lies within the memory's
// initial size (so instantiation could not trap on it half way), and the memory is 32-bit,
// not shared, with 64 KiB pages. Any other module, or one this reader does not understand,
// is compiled as it is and its segments are copied by wasmtime as before.
//
// memImageRule names this rule in the compile cache key (engineSettings): code compiled from a
// split module runs only beside its images, so any change to what splitData splits must change
// the rule's name.
const memImageRule = "memimage=1"

// dataImage is what one defined memory starts with: its segments in module order (later ones
// win where they overlap), within size bytes (a multiple of the host page, within the
// memory's initial size).
type dataImage struct {
	size int64
	segs []dataSeg
}

// dataSeg is one segment's bytes (aliasing the module's bytes) at its offset.
type dataSeg struct {
	off int64
	b   []byte
}

const (
	wasmPage  = 64 << 10
	imagePage = 4 << 10 // the host page the images are mapped in
)

// errNoSplit is any module splitData leaves as it is.
var errNoSplit = errors.New("not split")

// splitData returns wasm without the bytes of its defined memories' active data segments and,
// per defined memory in order, the image those bytes make (nil for a memory without data). A
// module it does not split comes back unchanged, with no images.
func splitData(wasm []byte) ([]byte, []*dataImage) {
	out, imgs, err := split(wasm)
	if err != nil {
		return wasm, nil
	}
	return out, imgs
}

// memInfo is what splitting needs to know of a defined memory.
type memInfo struct {
	min      uint64 // pages
	plain    bool   // 32-bit, unshared, 64 KiB pages
	imported bool
}

func split(wasm []byte) ([]byte, []*dataImage, error) {
	if len(wasm) < 8 {
		return nil, nil, errNoSplit
	}
	r := &wasmReader{b: wasm, off: 8}
	var mems []memInfo
	dataCount := false
	head, dataStart, dataEnd := -1, -1, -1
	for r.off < len(r.b) {
		secHead := r.off
		id := r.byte()
		size := r.u32()
		start := r.off
		end := start + int(size)
		if r.err != nil || end > len(r.b) || end < start {
			return nil, nil, errNoSplit
		}
		sec := &wasmReader{b: r.b[:end], off: start}
		switch id {
		case 2:
			mems = append(mems, sec.importedMemories()...)
		case 5:
			for n := sec.u32(); n > 0 && sec.err == nil; n-- {
				mems = append(mems, sec.memory())
			}
		case 12:
			dataCount = true
		case 11:
			if dataStart >= 0 {
				return nil, nil, errNoSplit
			}
			head, dataStart, dataEnd = secHead, start, end
		}
		if sec.err != nil {
			return nil, nil, errNoSplit
		}
		r.off = end
	}
	if dataStart < 0 {
		return nil, nil, errNoSplit
	}
	for _, m := range mems {
		if !m.imported && !m.plain {
			return nil, nil, errNoSplit // the images are handed out in the order memories are made
		}
	}
	body, imgs, err := splitDataSection(&wasmReader{b: wasm[:dataEnd], off: dataStart}, mems, dataCount)
	if err != nil {
		return nil, nil, err
	}
	out := make([]byte, 0, len(wasm)-(dataEnd-dataStart)+len(body))
	out = append(out, wasm[:head]...)
	out = append(out, 11)
	out = binary.AppendUvarint(out, uint64(len(body)))
	out = append(out, body...)
	out = append(out, wasm[dataEnd:]...)
	return out, imgs, nil
}

// splitDataSection rewrites the data section's content, returning it and the images. A
// segment whose bytes went into an image is left out; in a module with a data count section
// (whose code may name segments by index in memory.init and data.drop) it becomes an empty
// passive segment instead, which those instructions treat exactly as the dropped active
// segment it replaces. Leaving segments out matters: wasmtime keeps and checks every segment
// at load and at each instantiation, and a Go module has about 34,000.
func splitDataSection(sec *wasmReader, mems []memInfo, dataCount bool) ([]byte, []*dataImage, error) {
	imported := 0
	for _, m := range mems {
		if m.imported {
			imported++
		}
	}
	imgs := make([]*dataImage, len(mems)-imported)
	n := sec.u32()
	var body []byte
	kept := uint64(0)
	split := false
	for ; n > 0 && sec.err == nil; n-- {
		segStart := sec.off
		flags := sec.u32()
		mem := uint32(0)
		switch flags {
		case 0:
		case 2:
			mem = sec.u32()
		case 1: // passive: kept whole
			l := sec.u32()
			sec.skip(int(l))
			body = append(body, sec.b[segStart:sec.off]...)
			kept++
			continue
		default:
			return nil, nil, errNoSplit
		}
		off, ok := sec.constI32()
		l := sec.u32()
		bytesAt := sec.off
		sec.skip(int(l))
		if sec.err != nil || !ok || int(mem) >= len(mems) {
			return nil, nil, errNoSplit
		}
		m := mems[mem]
		if m.imported { // another module's memory: wasmtime writes it as before
			body = append(body, sec.b[segStart:sec.off]...)
			kept++
			continue
		}
		if !m.plain || uint64(off)+uint64(l) > m.min*wasmPage {
			return nil, nil, errNoSplit // this memory's segments stay in order, wasmtime's
		}
		d := int(mem) - imported
		if imgs[d] == nil {
			imgs[d] = &dataImage{}
		}
		img := imgs[d]
		img.segs = append(img.segs, dataSeg{int64(off), sec.b[bytesAt:sec.off]})
		img.size = max(img.size, (int64(off)+int64(l)+imagePage-1)/imagePage*imagePage)
		if dataCount {
			body = append(body, 0x01, 0x00) // passive, empty
			kept++
		}
		split = true
	}
	if sec.err != nil || sec.off != len(sec.b) || !split {
		return nil, nil, errNoSplit
	}
	for i, img := range imgs {
		if img != nil && img.size == 0 {
			imgs[i] = nil // only empty segments
		}
	}
	return append(binary.AppendUvarint(make([]byte, 0, len(body)+5), kept), body...), imgs, nil
}

// wasmReader reads the WASM binary format; the first error sticks.
type wasmReader struct {
	b   []byte
	off int
	err error
}

func (r *wasmReader) fail() {
	if r.err == nil {
		r.err = errNoSplit
	}
	r.off = len(r.b)
}

func (r *wasmReader) byte() byte {
	if r.off >= len(r.b) {
		r.fail()
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *wasmReader) u64() uint64 {
	v, n := binary.Uvarint(r.b[min(r.off, len(r.b)):])
	if n <= 0 || n > 10 {
		r.fail()
		return 0
	}
	r.off += n
	return v
}

func (r *wasmReader) u32() uint32 {
	v := r.u64()
	if v > 1<<32-1 {
		r.fail()
		return 0
	}
	return uint32(v)
}

func (r *wasmReader) skip(n int) {
	if n < 0 || r.off+n > len(r.b) {
		r.fail()
		return
	}
	r.off += n
}

// constI32 reads an offset expression that is exactly `i32.const N; end`.
func (r *wasmReader) constI32() (uint32, bool) {
	if r.byte() != 0x41 {
		return 0, false
	}
	v, ok := r.s32()
	if !ok || r.byte() != 0x0b {
		return 0, false
	}
	return uint32(v), true
}

// s32 reads a signed LEB128 number of at most 5 bytes.
func (r *wasmReader) s32() (int32, bool) {
	var v int64
	var shift uint
	for range 5 {
		c := r.byte()
		if r.err != nil {
			return 0, false
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if c&0x40 != 0 {
				v |= -1 << shift
			}
			return int32(v), v >= math.MinInt32 && v <= math.MaxInt32
		}
	}
	r.fail()
	return 0, false
}

// limits reads a memory or table type's limits: its flags and minimum.
func (r *wasmReader) limits() (flags byte, min uint64) {
	flags = r.byte()
	if flags&^0x0f != 0 {
		r.fail()
		return
	}
	min = r.u64()
	if flags&0x01 != 0 {
		r.u64()
	}
	if flags&0x08 != 0 {
		r.u32() // a custom page size (log2)
	}
	return flags, min
}

func (r *wasmReader) memory() memInfo {
	flags, min := r.limits()
	return memInfo{min: min, plain: flags&^0x01 == 0}
}

// importedMemories reads the import section and returns one entry per imported memory.
func (r *wasmReader) importedMemories() []memInfo {
	var mems []memInfo
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		r.skip(int(r.u32())) // module
		r.skip(int(r.u32())) // name
		switch r.byte() {
		case 0x00: // function: its type
			r.u32()
		case 0x01: // table: a plain reference type, then limits
			if t := r.byte(); t != 0x70 && t != 0x6f {
				r.fail()
			}
			r.limits()
		case 0x02:
			m := r.memory()
			m.imported = true
			mems = append(mems, m)
		case 0x03: // global: a number, vector or plain reference type, mutability
			switch r.byte() {
			case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
			default:
				r.fail()
			}
			r.byte()
		case 0x04: // tag: attribute, type
			r.byte()
			r.u32()
		default:
			r.fail()
		}
	}
	return mems
}
