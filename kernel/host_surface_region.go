package kernel

import (
	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
)

// surface_present_region shows pixels that are already in a region (a GPU driver's drawing,
// a camera frame) without passing them through the guest's memory: the compositor's surface
// copies them once, straight from the shared memory. docs/abi.md, "Core".
func init() {
	registerHostFuncs(hostFunc{name: "surface_present_region", params: kinds(i32, i32, i64, i32), results: kinds(i32), fn: hostSurfacePresentRegion})
}

// surface_present_region(sid, handle, offset, stride) -> 0
func hostSurfacePresentRegion(c *call, a []wasmtime.Val) []wasmtime.Val {
	sl := c.p.surfaces[a[0].I32()]
	if sl == nil {
		return one(errNotFound)
	}
	h, off, stride := a[1].I32(), a[2].I64(), int64(a[3].I32())
	row := int64(sl.w) * 4
	if h <= 0 {
		return one(errNotFound)
	}
	if stride < row || off < 0 {
		return one(errInvalid)
	}
	r, rights, release, err := c.Bus().RegionAcquire(c.p.pid, uint32(h))
	if err != nil {
		return one(c.busCode(err))
	}
	defer release()
	if rights&bus.RightRead == 0 {
		return one(errRights)
	}
	need := off + stride*int64(sl.h-1) + row
	if need > r.Size() {
		return one(errInvalid)
	}
	if err := sl.s.Present(r.Bytes()[off:need], int(stride)); err != nil {
		c.p.k.cfg.Log(c.p.pid, c.p.name, 2, "surface_present_region: "+err.Error())
		return one(errInternal)
	}
	return one(0)
}
