package kernel

import (
	"encoding/binary"
	"errors"
)

// What the disk cache stores of a compiled module is wasmtime's serialized module without
// the sections wasmtime never reads to run it, or reads only to describe a trap's position:
// every byte stored is copied into private memory at every cold start (cache_copy.go), at
// about 0.3 ms per MB here (docs/design/performance.md, 2026-12-03 coldstart), so bytes that
// are never needed are not stored. For the hello Go module 8.2 MB of code shrink to 4.8 MB:
//
//   - .wasmtime.addrmap (3.1 MB): native code offset -> WASM offset, which wasmtime reads only
//     to put the module offset of each frame in a backtrace. A trap of a module loaded from the
//     disk cache still names its cause and its function (trapMessage), without the offset.
//   - .symtab and .strtab (0.3 MB): symbols for native tools; wasmtime ignores them.
//
// wasmtime finds every section by its header and treats a missing or empty one as absent
// (an unknown one is an error), so the headers stay, with size 0. leanRule names this in the
// compile cache key. Native unwind information (.eh_frame) is not generated at all (engine.go,
// "unwind=0"): it serves only native unwinders (gdb, perf --call-graph=dwarf); wasmtime walks
// wasm frames by their frame pointers, for traps and backtraces alike.
var leanDropped = map[string]bool{".wasmtime.addrmap": true, ".symtab": true, ".strtab": true}

// leanRule names the sections the disk cache leaves out in the compile cache key.
const leanRule = "lean=addrmap,symtab"

// leanArtifact is ser (wasmtime's serialized module) without leanDropped's sections, or ser
// itself if it is not an image stripSections knows.
func leanArtifact(ser []byte) []byte {
	out, err := stripSections(ser, func(name string) bool { return leanDropped[name] })
	if err != nil {
		return ser
	}
	return out
}

// ELF64 little-endian offsets used by stripSections.
const (
	elfShoff     = 0x28
	elfPhnum     = 0x38
	elfShentsize = 0x3a
	elfShnum     = 0x3c
	elfShstrndx  = 0x3e
	shdrSize     = 64
)

var errNotELF = errors.New("kernel: serialized module is not a little-endian ELF64 image")

// stripSections returns the ELF64 image ser without the bytes of the sections whose names
// drop accepts: each such section keeps its header with size 0, the sections after it move
// down (each to an offset that keeps its alignment), and the section header table follows
// the last. Nothing else in the image refers to file offsets.
func stripSections(ser []byte, drop func(name string) bool) ([]byte, error) {
	if len(ser) < 64 || string(ser[:4]) != "\x7fELF" || ser[4] != 2 || ser[5] != 1 {
		return nil, errNotELF
	}
	le := binary.LittleEndian
	shoff := le.Uint64(ser[elfShoff:])
	shnum := int(le.Uint16(ser[elfShnum:]))
	strndx := int(le.Uint16(ser[elfShstrndx:]))
	if le.Uint16(ser[elfPhnum:]) != 0 || // program headers would hold offsets too
		int(le.Uint16(ser[elfShentsize:])) != shdrSize || shnum == 0 || strndx >= shnum ||
		shoff > uint64(len(ser)) || uint64(len(ser))-shoff < uint64(shnum*shdrSize) {
		return nil, errNotELF
	}
	hdrs := make([]byte, shnum*shdrSize)
	copy(hdrs, ser[shoff:])
	sh := func(i int) []byte { return hdrs[i*shdrSize : (i+1)*shdrSize] }
	strOff, strSize := le.Uint64(sh(strndx)[24:]), le.Uint64(sh(strndx)[32:])
	if strOff > uint64(len(ser)) || uint64(len(ser))-strOff < strSize {
		return nil, errNotELF
	}
	names := ser[strOff : strOff+strSize]
	name := func(i int) string {
		n := uint64(le.Uint32(sh(i)[0:]))
		if n >= uint64(len(names)) {
			return ""
		}
		end := n
		for end < uint64(len(names)) && names[end] != 0 {
			end++
		}
		return string(names[n:end])
	}
	// The sections follow the ELF header in the order of their headers (the object writer's
	// order; checked below).
	out := make([]byte, 0, len(ser))
	first := uint64(len(ser))
	for i := 1; i < shnum; i++ {
		if off, size := le.Uint64(sh(i)[24:]), le.Uint64(sh(i)[32:]); size > 0 && le.Uint32(sh(i)[4:]) != 8 { // not NOBITS
			first = min(first, off)
		}
	}
	if first = min(first, shoff); first < 64 {
		return nil, errNotELF
	}
	out = append(out, ser[:first]...)
	var last uint64
	for i := 1; i < shnum; i++ {
		h := sh(i)
		off, size, align := le.Uint64(h[24:]), le.Uint64(h[32:]), le.Uint64(h[48:])
		if align > 1<<16 {
			return nil, errNotELF
		}
		for align > 1 && uint64(len(out))%align != 0 {
			out = append(out, 0)
		}
		le.PutUint64(h[24:], uint64(len(out)))
		if le.Uint32(h[4:]) == 8 || size == 0 { // NOBITS or empty: no bytes
			continue
		}
		if off < last || off > uint64(len(ser)) || uint64(len(ser))-off < size {
			return nil, errNotELF // overlapping or out of order: not an image this knows
		}
		last = off + size
		if drop(name(i)) {
			le.PutUint64(h[32:], 0)
			continue
		}
		out = append(out, ser[off:off+size]...)
	}
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	le.PutUint64(out[elfShoff:], uint64(len(out)))
	return append(out, hdrs...), nil
}
