package gpu

import (
	"fmt"

	"github.com/orbital/orbital/drivers/driverkit"
)

// The checks the driver makes before any work reaches a worker: handles, ranges, rights, sizes
// and counts. What passes here cannot make a worker touch memory outside a region; what a
// shader does with its buffers is bounded by robust access and the time budget.

const (
	rightRead  = 1
	rightWrite = 2
)

var rightNames = map[uint32]string{rightRead: "read", rightWrite: "write"}

// jobRegions describes the message's regions for a job (writes are marked as bindings are
// checked).
func jobRegions(rs []*driverkit.Region) ([]JobRegion, *Status) {
	out := make([]JobRegion, len(rs))
	for i, r := range rs {
		if r.Size() <= 0 {
			return nil, invalid("region %d is empty", i)
		}
		out[i] = JobRegion{Size: int64(r.Size())}
	}
	return out, nil
}

// regionRef checks that region i exists, holds n bytes from off, and carries the right.
func regionRef(rs []*driverkit.Region, i int, off, n int64, right uint32) *Status {
	if i < 0 || i >= len(rs) {
		return invalid("region %d: the message carries %d regions", i, len(rs))
	}
	if rs[i].Rights()&right == 0 {
		return &Status{Code: CodeRights, Error: fmt.Sprintf("gpu: region %d was attached without the %s right", i, rightNames[right])}
	}
	if size := int64(rs[i].Size()); off < 0 || n <= 0 || off+n > size {
		return invalid("region %d: bytes %d..%d are outside its %d bytes", i, off, off+n, size)
	}
	return nil
}

// markWrite notes that the job writes region i (the worker maps it writable).
func markWrite(regs []JobRegion, i int) { regs[i].Write = true }

// buffer checks a GPU buffer handle of the client: known, not lost.
func (c *client) buffer(id uint64) (*buffer, *Status) {
	c.mu.Lock()
	b := c.buffers[id]
	c.mu.Unlock()
	switch {
	case b == nil && id>>32 != c.s.epoch:
		return nil, &Status{Code: CodeLost, Error: fmt.Sprintf("gpu: buffer %d is from a GPU driver that has since restarted; create it again", id)}
	case b == nil:
		return nil, &Status{Code: CodeNotFound, Error: fmt.Sprintf("gpu: this process holds no buffer %d", id)}
	case b.lost:
		return nil, &Status{Code: CodeLost, Error: fmt.Sprintf("gpu: buffer %d was lost with its GPU context (a crash or a shader abandoned past its budget); create it again", id)}
	}
	return b, nil
}

// shaderOf checks a shader handle of the client and its kind.
func (c *client) shaderOf(id uint64, compute bool) (*shader, *Status) {
	c.mu.Lock()
	sh := c.shaders[id]
	c.mu.Unlock()
	switch {
	case sh == nil && id>>32 != c.s.epoch:
		return nil, &Status{Code: CodeLost, Error: fmt.Sprintf("gpu: shader %d is from a GPU driver that has since restarted; compile it again", id)}
	case sh == nil:
		return nil, &Status{Code: CodeNotFound, Error: fmt.Sprintf("gpu: this process holds no shader %d", id)}
	case sh.compute && !compute:
		return nil, invalid("shader %d is a compute shader; draw with a vertex and fragment program", id)
	case !sh.compute && compute:
		return nil, invalid("shader %d is a drawing program; dispatch a compute shader", id)
	}
	return sh, nil
}

// ref checks a buffer-or-region reference for n bytes with the right a region needs.
func (c *client) ref(rs []*driverkit.Region, regs []JobRegion, r Ref, n int64, right uint32) *Status {
	if (r.Region == nil) == (r.Buffer == 0) {
		return invalid("name a buffer or a region (one of them)")
	}
	if r.Region != nil {
		if st := regionRef(rs, *r.Region, r.Offset, n, right); st != nil {
			return st
		}
		if right == rightWrite {
			markWrite(regs, *r.Region)
		}
		return nil
	}
	b, st := c.buffer(r.Buffer)
	if st != nil {
		return st
	}
	if r.Offset < 0 || n <= 0 || r.Offset+n > b.size {
		return invalid("buffer %d: bytes %d..%d are outside its %d bytes", r.Buffer, r.Offset, r.Offset+n, b.size)
	}
	return nil
}

// access checks an access mode and returns the rights it needs.
func access(a string) (uint32, *Status) {
	switch a {
	case AccessRead:
		return rightRead, nil
	case AccessWrite:
		return rightWrite, nil
	case AccessReadWrite:
		return rightRead | rightWrite, nil
	}
	return 0, invalid("access %q: use read, write or readwrite", a)
}

// image checks an image in a region for the rights of mode and returns its bytes in GPU memory.
func (c *client) image(rs []*driverkit.Region, regs []JobRegion, im Image, need uint32) (int64, *Status) {
	max := c.s.info.MaxTextureSize
	if im.Width <= 0 || im.Height <= 0 || im.Width > max || im.Height > max {
		return 0, invalid("image %dx%d: sides are 1..%d", im.Width, im.Height, max)
	}
	stride := int64(im.Stride)
	if stride == 0 {
		stride = 4 * int64(im.Width)
	}
	if stride < 4*int64(im.Width) || stride%4 != 0 {
		return 0, invalid("image stride %d: at least %d, a multiple of 4", stride, 4*im.Width)
	}
	n := stride*int64(im.Height-1) + 4*int64(im.Width)
	for _, r := range []uint32{rightRead, rightWrite} {
		if need&r != 0 {
			if st := regionRef(rs, im.Region, im.Offset, n, r); st != nil {
				return 0, st
			}
		}
	}
	if need&rightWrite != 0 {
		markWrite(regs, im.Region)
	}
	return 4*int64(im.Width)*int64(im.Height) + n, nil // the texture and the buffer its bytes pass through
}

// fits refuses work whose transient GPU memory would take the process over its limit.
func (c *client) fits(topic string, transient int64) *Status {
	c.mu.Lock()
	held, limit := c.held, c.lim.memory
	c.mu.Unlock()
	if held+transient > limit {
		return c.refuse(topic, "gpu.memory", "this work needs %d bytes of GPU memory beside the %d held, over this process's limit of %d (limits.gpu_memory)", transient, held, limit)
	}
	return nil
}
