//go:build wasip1

package sdk

import "unsafe"

// The host functions of docs/abi.md (Core section). Strings lower to a (ptr, len) pair and
// unsafe.Pointer to an i32 offset into linear memory, which is exactly the ABI's convention.

//go:wasmimport orbital log
func hostLog(level int32, msg string) int32

//go:wasmimport orbital time_monotonic
func hostTimeMonotonic() int64

//go:wasmimport orbital time_wall
func hostTimeWall() int64

//go:wasmimport orbital pid
func hostPID() int32

//go:wasmimport orbital surface_create
func hostSurfaceCreate(width, height int32, title string) int32

//go:wasmimport orbital surface_present
func hostSurfacePresent(sid int32, ptr unsafe.Pointer, n int32, stride int32) int32

//go:wasmimport orbital surface_present_region
func hostSurfacePresentRegion(sid, region int32, offset int64, stride int32) int32

//go:wasmimport orbital surface_resize
func hostSurfaceResize(sid, width, height int32) int32

//go:wasmimport orbital surface_destroy
func hostSurfaceDestroy(sid int32) int32

//go:wasmimport orbital recv
func hostRecv(buf unsafe.Pointer, n int32, timeoutNS int64) int32

// bytesPtr returns the address and length of b in linear memory, (nil, 0) for an empty slice.
// The caller keeps b alive across the host call (the argument itself does).
func bytesPtr(b []byte) (unsafe.Pointer, int32) {
	if len(b) == 0 {
		return nil, 0
	}
	return unsafe.Pointer(unsafe.SliceData(b)), int32(len(b))
}
