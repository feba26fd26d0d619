//go:build cgo

package compositor

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"unsafe"

	"github.com/go-gl/gl/v3.3-core/gl"
)

// GL is the OpenGL 3.3 core device. It keeps one texture per surface, re-uploads only surfaces
// whose generation changed (glTexSubImage2D; a new texture when the size changed), and draws
// one textured quad per visible surface, back to front, with premultiplied source-over
// blending. Textures of closed surfaces are freed.
//
// It redraws only the region that changed (scissored, see damageTracker): straight into the
// target framebuffer when the caller says which frame that one holds (SetTargetAge), else into
// a framebuffer object of its own that it then copies whole into the target (gl_frame.go).
//
// Every method must run on the thread that owns the current GL context (the shell's GLFW
// window, on the main OS thread), and NewGL must be called with that context current.
type GL struct {
	Background color.RGBA // opaque desktop colour

	fbW, fbH int     // framebuffer size in pixels
	scale    float64 // framebuffer pixels per desktop pixel (HiDPI)

	prog               uint32
	vao, vbo           uint32
	uRect, uView, uOpq int32
	maxTex             int // GL_MAX_TEXTURE_SIZE
	tex                map[*Surface]*glTexture

	frame glFrame // the device's own framebuffer, and what the target lacks of it
	track damageTracker
}

type glTexture struct {
	id     uint32
	w, h   int // 0 when it holds no picture that may be drawn
	gen    uint64
	filter int32
}

// NewGL prepares the GL device for a framebuffer of fbW x fbH pixels showing the desktop at
// scale framebuffer pixels per desktop pixel (1 on ordinary screens, 2 on HiDPI ones: GLFW's
// framebuffer size divided by its window size). The caller's GL context must be current.
func NewGL(fbW, fbH int, scale float64) (*GL, error) {
	if err := gl.Init(); err != nil {
		return nil, fmt.Errorf("gl device: load OpenGL functions (is a GL 3.3 context current?): %w", err)
	}
	d := &GL{Background: DefaultBackground, tex: map[*Surface]*glTexture{}}
	if err := d.SetSize(fbW, fbH, scale); err != nil {
		return nil, err
	}
	prog, err := glProgram(glslVertex, glslFragment)
	if err != nil {
		return nil, err
	}
	d.prog = prog
	d.uRect = gl.GetUniformLocation(prog, gl.Str("rect\x00"))
	d.uView = gl.GetUniformLocation(prog, gl.Str("view\x00"))
	d.uOpq = gl.GetUniformLocation(prog, gl.Str("opaque\x00"))
	gl.UseProgram(prog)
	gl.Uniform1i(gl.GetUniformLocation(prog, gl.Str("tex\x00")), 0)
	var maxTex int32
	gl.GetIntegerv(gl.MAX_TEXTURE_SIZE, &maxTex)
	d.maxTex = int(maxTex)

	corners := []float32{0, 0, 1, 0, 0, 1, 1, 1} // a triangle strip over the unit square
	gl.GenVertexArrays(1, &d.vao)
	gl.BindVertexArray(d.vao)
	gl.GenBuffers(1, &d.vbo)
	gl.BindBuffer(gl.ARRAY_BUFFER, d.vbo)
	gl.BufferData(gl.ARRAY_BUFFER, len(corners)*4, gl.Ptr(corners), gl.STATIC_DRAW)
	gl.EnableVertexAttribArray(0)
	gl.VertexAttribPointerWithOffset(0, 2, gl.FLOAT, false, 8, 0)
	if e := gl.GetError(); e != gl.NO_ERROR {
		d.Release()
		return nil, fmt.Errorf("gl device: setup failed: GL error 0x%x", e)
	}
	return d, nil
}

// SetSize changes the framebuffer size and scale (after the window was resized or moved to a
// screen of another density).
func (d *GL) SetSize(fbW, fbH int, scale float64) error {
	if fbW < 1 || fbH < 1 || fbW > 4*MaxSize || fbH > 4*MaxSize || !(scale > 0) || math.IsInf(scale, 0) {
		return fmt.Errorf("gl device: bad framebuffer %dx%d at scale %v (want sizes 1..%d, scale > 0)", fbW, fbH, scale, 4*MaxSize)
	}
	if scale != d.scale {
		d.track.invalidate()
	}
	d.fbW, d.fbH, d.scale = fbW, fbH, scale
	return nil
}

// Size returns the framebuffer size in pixels.
func (d *GL) Size() (w, h int) { return d.fbW, d.fbH }

// Compose brings the framebuffer bound when it was called (the target: the window's back
// buffer) up to date with the scene, redrawing only what changed, and leaves it bound. When dst is not nil it reads the target into dst (which must
// be exactly the framebuffer's size), the right way up. It sets the viewport, blending,
// program, vertex array and texture bindings it needs and leaves them so; the caller swaps
// buffers. A surface larger than the GPU's largest texture is left out and reported in the
// returned error; everything else is still drawn.
func (d *GL) Compose(s *Scene, dst Frame) error {
	snap := s.Snapshot()
	var target int32
	gl.GetIntegerv(gl.DRAW_FRAMEBUFFER_BINDING, &target)
	d.frame.begin(d.fbW, d.fbH, uint32(target))
	bg := d.Background
	bg.A = 0xff
	damage := d.frame.toPixels(d.track.diff(snap, d.desk(), bg), d.scale)
	region, err := d.frame.plan(damage)
	if err != nil {
		return err
	}
	tooBig := d.redraw(snap, region, bg)
	d.sweep()
	d.frame.finish()
	if e := gl.GetError(); e != gl.NO_ERROR {
		return fmt.Errorf("gl compose: GL error 0x%x", e)
	}
	if dst != nil {
		if err := d.ReadPixels(dst); err != nil {
			return err
		}
	}
	return tooBig
}

// desk is the desktop rectangle the framebuffer shows, in desktop pixels.
func (d *GL) desk() image.Rectangle {
	return image.Rect(0, 0, int(math.Ceil(float64(d.fbW)/d.scale)), int(math.Ceil(float64(d.fbH)/d.scale)))
}

// redraw draws region g (framebuffer pixels, disjoint rectangles) of the bound framebuffer from
// the background up, one scissored pass per rectangle. Surfaces are uploaded first, once each,
// so every rectangle shows the same present of a surface.
func (d *GL) redraw(snap Snapshot, g Region, bg color.RGBA) error {
	if len(g) == 0 {
		return nil
	}
	gl.Viewport(0, 0, int32(d.fbW), int32(d.fbH))
	gl.UseProgram(d.prog)
	gl.BindVertexArray(d.vao)
	gl.ActiveTexture(gl.TEXTURE0)
	gl.BlendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA)
	gl.Uniform2f(d.uView, float32(float64(d.fbW)/d.scale), float32(float64(d.fbH)/d.scale))
	gl.ClearColor(float32(bg.R)/255, float32(bg.G)/255, float32(bg.B)/255, 1)
	// Per rectangle: its extent in desktop pixels (every surface touching one of its pixels
	// overlaps it) and the first item that shows there.
	areas := make([]image.Rectangle, len(g))
	first := make([]int, len(g))
	covered := make([]bool, len(g))
	for i, p := range g {
		areas[i] = d.frame.toDesktop(p, d.scale)
		first[i], covered[i] = snap.firstShown(areas[i])
	}
	shows := func(n, i int) bool { return n >= first[i] && snap.Items[n].Rect.Overlaps(areas[i]) }
	tooBig := d.uploadAll(snap, len(g), shows)
	gl.Enable(gl.SCISSOR_TEST)
	defer gl.Disable(gl.SCISSOR_TEST)
	for i, p := range g {
		gl.Scissor(int32(p.Min.X), int32(d.fbH-p.Max.Y), int32(p.Dx()), int32(p.Dy()))
		if !covered[i] {
			gl.Clear(gl.COLOR_BUFFER_BIT)
		}
		for n, it := range snap.Items {
			if t := d.tex[it.Surface]; shows(n, i) && t != nil && t.w > 0 {
				d.drawItem(it, t)
			}
		}
	}
	return tooBig
}

// uploadAll brings the texture of every item that shows in one of the n rectangles up to
// date. A surface too large for the GPU gets no texture and is reported.
func (d *GL) uploadAll(snap Snapshot, n int, shows func(item, rect int) bool) error {
	var tooBig error
	for k, it := range snap.Items {
		if !anyRect(n, func(i int) bool { return shows(k, i) }) {
			continue
		}
		if w, h := it.Surface.Size(); w > d.maxTex || h > d.maxTex {
			tooBig = fmt.Errorf("gl compose: surface %d (%q, pid %d) is %dx%d, larger than this GPU's textures (%d): not drawn",
				it.Surface.ID, it.Surface.Name, it.Surface.Owner, w, h, d.maxTex)
			if t := d.tex[it.Surface]; t != nil {
				t.w, t.h = 0, 0 // never draw a stale picture of it
			}
			continue
		}
		t := d.tex[it.Surface]
		if t == nil {
			t = &glTexture{}
			gl.GenTextures(1, &t.id)
			d.tex[it.Surface] = t
		}
		gl.BindTexture(gl.TEXTURE_2D, t.id)
		it.Surface.ReadPixels(func(pix []byte, w, h int, gen uint64) { t.upload(pix, w, h, gen) })
	}
	return tooBig
}

// drawItem draws one surface's quad with its texture t.
func (d *GL) drawItem(it Item, t *glTexture) {
	gl.BindTexture(gl.TEXTURE_2D, t.id)
	filter := int32(gl.NEAREST) // 1:1, or pixel blocks at the surface's scale
	if _, ok := it.blocks(t.w, t.h); !ok {
		filter = gl.LINEAR // scaled by the shell
	}
	if t.filter != filter {
		gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, filter)
		gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, filter)
		t.filter = filter
	}
	r := it.Rect
	gl.Uniform4f(d.uRect, float32(r.Min.X), float32(r.Min.Y), float32(r.Dx()), float32(r.Dy()))
	// Opaque surfaces replace what is below them: with blending off, a rasteriser need not
	// read the framebuffer back under them.
	opq := int32(0)
	if it.Opaque {
		opq = 1
		gl.Disable(gl.BLEND)
	} else {
		gl.Enable(gl.BLEND)
	}
	gl.Uniform1i(d.uOpq, opq)
	gl.DrawArrays(gl.TRIANGLE_STRIP, 0, 4)
}

// upload brings the bound texture up to date with a surface's front buffer.
func (t *glTexture) upload(pix []byte, w, h int, gen uint64) {
	if t.w == w && t.h == h && t.gen == gen {
		return
	}
	gl.PixelStorei(gl.UNPACK_ALIGNMENT, 4)
	if t.w != w || t.h != h {
		gl.TexImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, int32(w), int32(h), 0, gl.RGBA, gl.UNSIGNED_BYTE, unsafe.Pointer(&pix[0]))
		gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE)
		gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE)
		t.w, t.h = w, h
	} else {
		gl.TexSubImage2D(gl.TEXTURE_2D, 0, 0, 0, int32(w), int32(h), gl.RGBA, gl.UNSIGNED_BYTE, unsafe.Pointer(&pix[0]))
	}
	t.gen = gen
}

// sweep frees the textures of closed surfaces.
func (d *GL) sweep() {
	for sf, t := range d.tex {
		if sf.Closed() {
			gl.DeleteTextures(1, &t.id)
			delete(d.tex, sf)
		}
	}
}

// Textures returns how many surface textures the device holds.
func (d *GL) Textures() int { return len(d.tex) }

// ReadPixels reads the bound framebuffer into dst, whose size must equal the framebuffer's,
// turning GL's bottom-up rows the right way up.
func (d *GL) ReadPixels(dst *image.RGBA) error {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	if w != d.fbW || h != d.fbH {
		return fmt.Errorf("gl read pixels: %w: frame %dx%d, framebuffer %dx%d", ErrFrameSize, w, h, d.fbW, d.fbH)
	}
	row := w * 4
	gl.PixelStorei(gl.PACK_ALIGNMENT, 4)
	gl.PixelStorei(gl.PACK_ROW_LENGTH, int32(dst.Stride/4))
	gl.ReadPixels(0, 0, int32(w), int32(h), gl.RGBA, gl.UNSIGNED_BYTE, unsafe.Pointer(&dst.Pix[0]))
	gl.PixelStorei(gl.PACK_ROW_LENGTH, 0)
	if e := gl.GetError(); e != gl.NO_ERROR {
		return fmt.Errorf("gl read pixels: GL error 0x%x", e)
	}
	tmp := make([]byte, row)
	for y := 0; y < h/2; y++ {
		a := dst.Pix[y*dst.Stride : y*dst.Stride+row]
		b := dst.Pix[(h-1-y)*dst.Stride : (h-1-y)*dst.Stride+row]
		copy(tmp, a)
		copy(a, b)
		copy(b, tmp)
	}
	return nil
}

// Release frees every GL object of the device. The context must still be current. Releasing
// twice is harmless.
func (d *GL) Release() {
	d.frame.release()
	for sf, t := range d.tex {
		gl.DeleteTextures(1, &t.id)
		delete(d.tex, sf)
	}
	if d.vbo != 0 {
		gl.DeleteBuffers(1, &d.vbo)
		d.vbo = 0
	}
	if d.vao != 0 {
		gl.DeleteVertexArrays(1, &d.vao)
		d.vao = 0
	}
	if d.prog != 0 {
		gl.DeleteProgram(d.prog)
		d.prog = 0
	}
}

var _ Device = (*GL)(nil)
