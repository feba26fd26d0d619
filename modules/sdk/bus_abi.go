//go:build wasip1

package sdk

import "unsafe"

// The host functions of docs/abi.md, "Bus" section. A string lowers to (ptr, len) and an
// unsafe.Pointer to an i32 offset into linear memory.

//go:wasmimport orbital send
func hostSend(to, kind int32, payload unsafe.Pointer, payloadLen int32, regions unsafe.Pointer, nregions int32, timeoutNS int64) int32

//go:wasmimport orbital publish
func hostPublish(topic string, payload unsafe.Pointer, payloadLen int32, regions unsafe.Pointer, nregions int32) int32

//go:wasmimport orbital subscribe
func hostSubscribe(pattern string, mode int32) int32

//go:wasmimport orbital unsubscribe
func hostUnsubscribe(id int32) int32

//go:wasmimport orbital request
func hostRequest(topic string, payload unsafe.Pointer, payloadLen int32, buf unsafe.Pointer, bufCap int32, timeoutNS int64) int32

//go:wasmimport orbital request_regions
func hostRequestRegions(topic string, payload unsafe.Pointer, payloadLen int32, regions unsafe.Pointer, nregions int32, buf unsafe.Pointer, bufCap int32, timeoutNS int64) int32

//go:wasmimport orbital reply
func hostReply(corr int64, payload unsafe.Pointer, payloadLen int32, regions unsafe.Pointer, nregions int32) int32

//go:wasmimport orbital region_create
func hostRegionCreate(size int64) int32

//go:wasmimport orbital region_read
func hostRegionRead(handle int32, offset int64, ptr unsafe.Pointer, n int32) int32

//go:wasmimport orbital region_write
func hostRegionWrite(handle int32, offset int64, ptr unsafe.Pointer, n int32) int32

//go:wasmimport orbital region_size
func hostRegionSize(handle int32) int64

//go:wasmimport orbital region_release
func hostRegionRelease(handle int32) int32

// grantsPtr returns the (handle, flags) pairs of gs as the host reads them. Grant is two
// uint32s, laid out exactly as the ABI's pairs.
func grantsPtr(gs []Grant) (unsafe.Pointer, int32) {
	if len(gs) == 0 {
		return nil, 0
	}
	return unsafe.Pointer(unsafe.SliceData(gs)), int32(len(gs))
}
