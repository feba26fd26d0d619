package kernel

import (
	"slices"

	"github.com/orbital/orbital/bus"
)

// Adoption: what the process holds (windows, subscriptions) outlives the code a reload
// replaces, and new code that starts without state asks for them again. Instead of a second
// window or a second subscription (every message delivered twice), the new code is handed
// the ones it inherited: surface_create returns an inherited surface, resized if it asks for
// another size, preferring one with the same title; subscribe returns the inherited
// subscription with the same pattern and mode. What the new code never asks for stays as it
// was (a restored module knows its surface and subscription ids). All of it is touched only
// on the process thread.

// subRecord is one live subscription of the process.
type subRecord struct {
	id      uint32
	pattern string // bus.Canonical
	mode    bus.Mode
}

// adoption is what the current code inherited and has not asked for yet.
type adoption struct {
	surfaces []int32     // surface ids, oldest first
	subs     []subRecord // in subscription order
}

// inherit marks everything the process holds as inherited by the code about to start.
func (p *Process) inherit() {
	a := &adoption{subs: slices.Clone(p.subs)}
	for sid := range p.surfaces {
		a.surfaces = append(a.surfaces, sid)
	}
	slices.Sort(a.surfaces)
	p.adopt = a
}

// adoptSurface returns an inherited surface for a surface_create of w x h titled title, or 0.
func (p *Process) adoptSurface(w, h int, title string) int32 {
	a := p.adopt
	if a == nil || len(a.surfaces) == 0 {
		return 0
	}
	i := slices.IndexFunc(a.surfaces, func(sid int32) bool {
		sl := p.surfaces[sid]
		return sl != nil && sl.title == title
	})
	if i < 0 {
		i = 0
	}
	sid := a.surfaces[i]
	a.surfaces = slices.Delete(a.surfaces, i, i+1)
	sl := p.surfaces[sid]
	if sl == nil { // destroyed by the new code before it asked again
		return p.adoptSurface(w, h, title)
	}
	if sl.w != w || sl.h != h {
		if err := sl.s.Resize(w, h); err != nil {
			p.k.cfg.Log(p.pid, p.name, 2, "surface_create: resizing the window kept across the reload: "+err.Error())
			return 0
		}
		sl.w, sl.h = w, h
	}
	return sid
}

// adoptSubscription returns the id of an inherited subscription to pattern with mode, or 0.
func (p *Process) adoptSubscription(pattern string, mode bus.Mode) uint32 {
	a := p.adopt
	if a == nil || len(a.subs) == 0 || bus.ValidPattern(pattern) != nil {
		return 0
	}
	pattern = bus.Canonical(pattern)
	i := slices.IndexFunc(a.subs, func(s subRecord) bool { return s.pattern == pattern && s.mode == mode })
	if i < 0 {
		return 0
	}
	id := a.subs[i].id
	a.subs = slices.Delete(a.subs, i, i+1)
	return id
}

// forgetSubscription drops an unsubscribed id from the records.
func (p *Process) forgetSubscription(id uint32) {
	match := func(s subRecord) bool { return s.id == id }
	p.subs = slices.DeleteFunc(p.subs, match)
	if p.adopt != nil {
		p.adopt.subs = slices.DeleteFunc(p.adopt.subs, match)
	}
}
