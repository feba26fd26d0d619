//go:build wasip1

package main

import "unsafe"

// main is not called: imagefx is a reactor (built -buildmode=c-shared because of the file
// named reactor); the kernel calls _initialize, then the exports below.
func main() {}

// Library calling convention (docs in registry/doc.go, "Shared libraries"): every function
// takes (ptr, len, ...) naming a buffer in the library's own memory, allocated by
// orbital_alloc. The kernel copies the caller's buffer in before the call and back after it.

// buffers keeps allocations alive (the Go GC does not see pointers held by the host).
var buffers = map[int32][]byte{}

//go:wasmexport orbital_alloc
func orbitalAlloc(n int32) int32 {
	if n <= 0 {
		return 0
	}
	b := make([]byte, n)
	p := int32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	buffers[p] = b
	return p
}

//go:wasmexport orbital_free
func orbitalFree(p int32) {
	delete(buffers, p)
}

// buf returns the allocation at p when it holds at least w*h*4 bytes.
func buf(p, n, w, h int32) []byte {
	b, ok := buffers[p]
	if !ok || w <= 0 || h <= 0 || int64(w)*int64(h)*4 > int64(n) || int(n) > len(b) {
		return nil
	}
	return b[:int(w)*int(h)*4]
}

// blur box-blurs a w*h RGBA8 image. Returns 0, or -1 for a bad buffer or size.
//
//go:wasmexport blur
func blur(p, n, w, h, radius int32) int32 {
	b := buf(p, n, w, h)
	if b == nil || radius < 0 || radius > 256 {
		return -1
	}
	Blur(b, int(w), int(h), int(radius))
	return 0
}

//go:wasmexport grayscale
func grayscale(p, n, w, h int32) int32 {
	b := buf(p, n, w, h)
	if b == nil {
		return -1
	}
	Grayscale(b)
	return 0
}

//go:wasmexport invert
func invert(p, n, w, h int32) int32 {
	b := buf(p, n, w, h)
	if b == nil {
		return -1
	}
	Invert(b)
	return 0
}
