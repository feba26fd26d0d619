package worker

import (
	"errors"
	"io"

	"github.com/orbital/orbital/drivers/gpu"
	"github.com/orbital/orbital/drivers/gpu/gl"
)

// The worker trusts the driver's checks of sizes, ranges and rights (validate.go), and checks
// again whatever would make it touch memory out of bounds: a bug or a lie there costs this
// process only.

func (w *worker) compile(j gpu.Job, res *gpu.Result) error {
	if j.Compile == nil {
		return fail(gpu.CodeInvalid, "compile: no sources")
	}
	st := map[string]string{}
	for k, v := range map[string]string{gl.StageCompute: j.Compile.Compute, gl.StageVertex: j.Compile.Vertex, gl.StageFragment: j.Compile.Fragment} {
		if v != "" {
			st[k] = v
		}
	}
	p, diags, err := w.ctx.Compile(st)
	for _, d := range diags {
		res.Diagnostics = append(res.Diagnostics, gpu.Diagnostic(d))
	}
	if err != nil {
		code := gpu.CodeCompile
		if len(diags) == 0 {
			code = gpu.CodeInvalid
		}
		return fail(code, "%v", err)
	}
	if old := w.programs[j.ID]; old != nil {
		old.Delete()
	}
	w.programs[j.ID] = p
	res.Local = p.Local
	res.Uniforms = map[string]string{}
	for n, u := range p.Uniforms {
		res.Uniforms[n] = gl.TypeName(u.Type)
	}
	return nil
}

func (w *worker) buffer(j gpu.Job, regions []*region) error {
	b, err := w.ctx.NewBuffer(int(j.Size))
	if err != nil {
		return glFail(err)
	}
	if j.Init != nil {
		r, err := regionAt(regions, *j.Init)
		if err == nil {
			err = glFail(b.Load(0, r, 0, int(min(r.size, int64(b.Size)))))
		}
		if err != nil {
			b.Delete()
			return err
		}
	}
	if old := w.buffers[j.ID]; old != nil {
		old.Delete()
	}
	w.buffers[j.ID] = b
	return nil
}

// glFail gives a GL failure its code: out of memory is a limit, the rest internal.
func glFail(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, gl.ErrOutOfMemory) {
		return fail(gpu.CodeLimit, "%v", err)
	}
	return fail(gpu.CodeInternal, "%v", err)
}

func regionAt(regions []*region, i int) (*region, error) {
	if i < 0 || i >= len(regions) {
		return nil, fail(gpu.CodeInvalid, "region %d: the job carries %d", i, len(regions))
	}
	return regions[i], nil
}

// checkSpan refuses n bytes from off that do not fit in a region of size bytes.
func checkSpan(size, off, n int64) error {
	if off < 0 || n < 0 || off+n > size {
		return fail(gpu.CodeInvalid, "bytes %d..%d are outside the region's %d", off, off+n, size)
	}
	return nil
}

func (w *worker) gpuBuffer(id uint64) (*gl.Buffer, error) {
	b := w.buffers[id]
	if b == nil {
		return nil, fail(gpu.CodeNotFound, "buffer %d is not in this context", id)
	}
	return b, nil
}

func (w *worker) copy(j gpu.Job, regions []*region) error {
	if j.From == nil || j.To == nil {
		return fail(gpu.CodeInvalid, "copy: from and to are required")
	}
	from, to, n := *j.From, *j.To, j.Size
	switch {
	case from.Region == nil && to.Region == nil:
		a, err := w.gpuBuffer(from.Buffer)
		if err != nil {
			return err
		}
		b, err := w.gpuBuffer(to.Buffer)
		if err != nil {
			return err
		}
		return glFail(a.CopyTo(b, int(from.Offset), int(to.Offset), int(n)))
	case from.Region != nil && to.Region == nil:
		r, err := regionSpan(regions, from, n)
		if err != nil {
			return err
		}
		b, err := w.gpuBuffer(to.Buffer)
		if err != nil {
			return err
		}
		return glFail(b.Load(int(to.Offset), r, from.Offset, int(n)))
	case from.Region == nil:
		a, err := w.gpuBuffer(from.Buffer)
		if err != nil {
			return err
		}
		r, err := regionSpan(regions, to, n)
		if err != nil {
			return err
		}
		return glFail(a.Store(int(from.Offset), r, to.Offset, int(n)))
	default:
		src, err := regionSpan(regions, from, n)
		if err != nil {
			return err
		}
		dst, err := regionSpan(regions, to, n)
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.NewOffsetWriter(dst, to.Offset), io.NewSectionReader(src, from.Offset, n)); err != nil {
			return fail(gpu.CodeInternal, "copy between regions: %v", err)
		}
	}
	return nil
}

// regionSpan is the region ref names, once n bytes from its offset are known to fit.
func regionSpan(regions []*region, ref gpu.Ref, n int64) (*region, error) {
	r, err := regionAt(regions, *ref.Region)
	if err != nil {
		return nil, err
	}
	return r, checkSpan(r.size, ref.Offset, n)
}

// imageSpan is the part of a region an image covers: from off, n bytes, rows of stride bytes.
func imageSpan(regions []*region, im gpu.Image) (r *region, off, n int64, stride int, err error) {
	stride = im.Stride
	if stride == 0 {
		stride = 4 * im.Width
	}
	if im.Width <= 0 || im.Height <= 0 || stride < 4*im.Width || stride%4 != 0 {
		return nil, 0, 0, 0, fail(gpu.CodeInvalid, "image %dx%d with stride %d", im.Width, im.Height, stride)
	}
	if r, err = regionAt(regions, im.Region); err != nil {
		return nil, 0, 0, 0, err
	}
	n = int64(stride)*int64(im.Height-1) + 4*int64(im.Width)
	return r, im.Offset, n, stride, checkSpan(r.size, im.Offset, n)
}
