package kernel

import (
	"unicode/utf8"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// The surface family of the host ABI (docs/abi.md, "Core"): a process's windows. Surface ids
// are per process, from 1; the process thread owns the table, so no lock is needed.
func init() {
	registerHostFuncs(
		hostFunc{name: "surface_create", params: kinds(i32, i32, i32, i32), results: kinds(i32), fn: hostSurfaceCreate},
		hostFunc{name: "surface_present", params: kinds(i32, i32, i32, i32), results: kinds(i32), fn: hostSurfacePresent},
		hostFunc{name: "surface_resize", params: kinds(i32, i32, i32), results: kinds(i32), fn: hostSurfaceResize},
		hostFunc{name: "surface_destroy", params: kinds(i32), results: kinds(i32), fn: hostSurfaceDestroy},
	)
}

type surfaceSlot struct {
	s     Surface
	w, h  int
	title string // as created, to match the window new code asks for after a reload
}

func validSide(n int32) bool { return n >= 1 && n <= maxSurfaceSide }

// surface_create(width, height, title_ptr, title_len) -> sid
func hostSurfaceCreate(c *call, a []wasmtime.Val) []wasmtime.Val {
	w, h := a[0].I32(), a[1].I32()
	if !validSide(w) || !validSide(h) {
		return one(errInvalid)
	}
	title, ok := c.bytes(a[2].I32(), a[3].I32())
	if !ok {
		return one(errFault)
	}
	if !utf8.Valid(title) {
		return one(errInvalid)
	}
	p := c.p
	if p.k.cfg.Display == nil || !p.allowSurface(int(w), int(h)) {
		return one(errDenied)
	}
	if sid := p.adoptSurface(int(w), int(h), string(title)); sid > 0 { // reload_adopt.go
		return one(sid)
	}
	if len(p.surfaces) >= p.opts.Limits.Surfaces {
		return one(errLimit)
	}
	s, err := p.k.cfg.Display.CreateSurface(SurfaceOwner{PID: p.pid, Name: p.name}, string(title), int(w), int(h))
	if err != nil {
		p.k.cfg.Log(p.pid, p.name, 2, "surface_create: "+err.Error())
		return one(errInternal)
	}
	if p.surfaces == nil {
		p.surfaces = map[int32]*surfaceSlot{}
	}
	p.nextSID++
	p.surfaces[p.nextSID] = &surfaceSlot{s: s, w: int(w), h: int(h), title: string(title)}
	return one(p.nextSID)
}

// surface_present(sid, ptr, len, stride) -> 0
func hostSurfacePresent(c *call, a []wasmtime.Val) []wasmtime.Val {
	sl := c.p.surfaces[a[0].I32()]
	if sl == nil {
		return one(errNotFound)
	}
	stride := int64(a[3].I32())
	row := int64(sl.w) * 4
	if stride < row {
		return one(errInvalid)
	}
	if int64(a[2].I32()) < stride*int64(sl.h-1)+row {
		return one(errInvalid)
	}
	pix, ok := c.bytes(a[1].I32(), a[2].I32())
	if !ok {
		return one(errFault)
	}
	c.p.sample(int64(len(c.mem())))
	if err := sl.s.Present(pix, int(stride)); err != nil {
		c.p.k.cfg.Log(c.p.pid, c.p.name, 2, "surface_present: "+err.Error())
		return one(errInternal)
	}
	return one(0)
}

// surface_resize(sid, width, height) -> 0
func hostSurfaceResize(c *call, a []wasmtime.Val) []wasmtime.Val {
	sl := c.p.surfaces[a[0].I32()]
	if sl == nil {
		return one(errNotFound)
	}
	w, h := a[1].I32(), a[2].I32()
	if !validSide(w) || !validSide(h) {
		return one(errInvalid)
	}
	if err := sl.s.Resize(int(w), int(h)); err != nil {
		c.p.k.cfg.Log(c.p.pid, c.p.name, 2, "surface_resize: "+err.Error())
		return one(errInternal)
	}
	sl.w, sl.h = int(w), int(h)
	return one(0)
}

// surface_destroy(sid) -> 0
func hostSurfaceDestroy(c *call, a []wasmtime.Val) []wasmtime.Val {
	sid := a[0].I32()
	sl := c.p.surfaces[sid]
	if sl == nil {
		return one(errNotFound)
	}
	delete(c.p.surfaces, sid)
	sl.s.Close()
	return one(0)
}

// closeSurfaces closes every surface of an ended process.
func (p *Process) closeSurfaces() {
	for sid, sl := range p.surfaces {
		sl.s.Close()
		delete(p.surfaces, sid)
	}
}
