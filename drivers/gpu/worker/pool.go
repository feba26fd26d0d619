package worker

import (
	"sort"

	"github.com/orbital/orbital/drivers/gpu/gl"
)

// pool keeps the scratch objects of region-backed work (a buffer a region is uploaded into,
// an image's texture, a draw target) for the next job that needs the same size: a demo that
// blurs a 1280x720 frame sixty times a second allocates its textures once. The driver says
// how many bytes may stay (Job.Keep); the least recently used go first.
type pool struct {
	free  []*entry
	bytes int64 // free and in use
	tick  uint64
}

type entry struct {
	key   [4]int // kind, then sizes
	bytes int64
	used  uint64
	obj   any // *gl.Buffer, *gl.Texture, *gl.Target
	del   func()
}

const (
	kindBuffer = iota + 1
	kindTexture
	kindTarget
)

// take returns a free object of key, or nil.
func (p *pool) take(key [4]int) *entry {
	for i, e := range p.free {
		if e.key == key {
			p.free = append(p.free[:i], p.free[i+1:]...)
			return e
		}
	}
	return nil
}

// give puts e back for reuse.
func (p *pool) give(e *entry) {
	p.tick++
	e.used = p.tick
	p.free = append(p.free, e)
}

// trim deletes free objects, least recently used first, until at most keep bytes are held.
func (p *pool) trim(keep int64) {
	sort.Slice(p.free, func(i, j int) bool { return p.free[i].used < p.free[j].used })
	for len(p.free) > 0 && p.bytes > keep {
		e := p.free[0]
		p.free = p.free[1:]
		e.del()
		p.bytes -= e.bytes
	}
}

// scratch lends the objects of one job and gives them back when it ends.
type scratch struct {
	p     *pool
	c     *gl.Context
	taken []*entry
}

func (s *scratch) done() {
	for _, e := range s.taken {
		s.p.give(e)
	}
	s.taken = nil
}

func (s *scratch) get(key [4]int, bytes int64, mk func() (any, func(), error)) (any, error) {
	e := s.p.take(key)
	if e == nil {
		obj, del, err := mk()
		if err != nil {
			return nil, err
		}
		e = &entry{key: key, bytes: bytes, obj: obj, del: del}
		s.p.bytes += bytes
	}
	s.taken = append(s.taken, e)
	return e.obj, nil
}

func (s *scratch) buffer(size int) (*gl.Buffer, error) {
	o, err := s.get([4]int{kindBuffer, size}, int64(size), func() (any, func(), error) {
		b, err := s.c.NewBuffer(size)
		if err != nil {
			return nil, nil, err
		}
		return b, b.Delete, nil
	})
	if err != nil {
		return nil, err
	}
	return o.(*gl.Buffer), nil
}

func (s *scratch) texture(w, h int) (*gl.Texture, error) {
	o, err := s.get([4]int{kindTexture, w, h}, int64(4*w*h), func() (any, func(), error) {
		t, err := s.c.NewTexture(w, h)
		if err != nil {
			return nil, nil, err
		}
		return t, t.Delete, nil
	})
	if err != nil {
		return nil, err
	}
	return o.(*gl.Texture), nil
}

func (s *scratch) target(w, h int, depth bool) (*gl.Target, error) {
	d := 0
	if depth {
		d = 1
	}
	bytes := int64(4 * w * h * (1 + d))
	o, err := s.get([4]int{kindTarget, w, h, d}, bytes, func() (any, func(), error) {
		t, err := s.c.NewTarget(w, h, depth)
		if err != nil {
			return nil, nil, err
		}
		return t, t.Delete, nil
	})
	if err != nil {
		return nil, err
	}
	return o.(*gl.Target), nil
}
