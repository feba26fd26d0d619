//go:build cgo

package compositor

import (
	"fmt"
	"image"
	"math"

	"github.com/go-gl/gl/v3.3-core/gl"
)

// maxTargetAge is the oldest target content (in frames) the GL device brings up to date by
// redrawing only what changed since; an older or unknown one is filled whole.
const maxTargetAge = 4

// glFrame decides where the GL device draws a frame, and keeps what that needs: the damage of
// the last frames, and a framebuffer object of the device's own (an RGBA8 renderbuffer the
// size of the target) for when the target's content is unknown.
//
// After a buffer swap the window's back buffer holds an older frame, or nothing defined,
// depending on the window system (GLX on Mesa keeps a back buffer that is never swapped; a
// compositor's swap chain hands back the frame before last, which GLX_EXT_buffer_age tells;
// GLX under Xvfb does not tell the age of a swapped buffer). So:
//
//   - When the caller says the target holds the frame of age composes ago (SetTargetAge, and
//     the device drew into it since its size or binding last changed), the device redraws
//     into the target the damage of those age frames, nothing else.
//   - Otherwise it redraws the damage in its own framebuffer, which holds the whole last
//     frame, and copies all of it into the target: one full-frame blit instead of a full
//     redraw of every surface.
type glFrame struct {
	w, h   int    // the target's size
	target uint32 // the framebuffer Compose draws for
	age    int    // the target holds the frame of age composes ago; 0: unknown
	hist   []Region

	fbo, rb    uint32
	fboW, fboH int
	current    bool // the fbo holds the last frame

	damage Region // this frame's damage, framebuffer pixels
	copied Region // what this frame wrote into the target
	direct bool   // this frame is drawn straight into the target
}

// begin starts a frame for target at w x h. A new size or target forgets which frames the
// target holds.
func (f *glFrame) begin(w, h int, target uint32) {
	if w != f.w || h != f.h || target != f.target {
		f.w, f.h, f.target, f.hist = w, h, target, nil
	}
}

// plan records damage (framebuffer pixels) as this frame's, chooses where to draw, binds that
// framebuffer and returns the region to redraw in it.
func (f *glFrame) plan(damage Region) (Region, error) {
	f.damage = damage
	if f.direct = f.age >= 1 && f.age <= len(f.hist); f.direct {
		region := append(Region(nil), damage...)
		for _, h := range f.hist[:f.age-1] {
			region = region.Union(h)
		}
		f.copied, f.current = region, false
		gl.BindFramebuffer(gl.FRAMEBUFFER, f.target)
		return region, nil
	}
	if err := f.ensureFBO(); err != nil {
		return nil, err
	}
	full := Region{image.Rect(0, 0, f.w, f.h)}
	region := damage
	if !f.current {
		region = full
	}
	f.copied = full
	gl.BindFramebuffer(gl.FRAMEBUFFER, f.fbo)
	return region, nil
}

// finish copies the device's framebuffer into the target when the frame was drawn there,
// remembers the frame's damage and leaves the target bound.
func (f *glFrame) finish() {
	if !f.direct {
		gl.BindFramebuffer(gl.READ_FRAMEBUFFER, f.fbo)
		gl.BindFramebuffer(gl.DRAW_FRAMEBUFFER, f.target)
		gl.BlitFramebuffer(0, 0, int32(f.w), int32(f.h), 0, 0, int32(f.w), int32(f.h), gl.COLOR_BUFFER_BIT, gl.NEAREST)
		f.current = true
	}
	f.hist = append([]Region{f.damage}, f.hist[:min(len(f.hist), maxTargetAge-1)]...)
	gl.BindFramebuffer(gl.FRAMEBUFFER, f.target)
}

// ensureFBO (re)creates the device's framebuffer at the target's size.
func (f *glFrame) ensureFBO() error {
	if f.fbo != 0 && f.fboW == f.w && f.fboH == f.h {
		return nil
	}
	f.release()
	gl.GenFramebuffers(1, &f.fbo)
	gl.GenRenderbuffers(1, &f.rb)
	gl.BindRenderbuffer(gl.RENDERBUFFER, f.rb)
	gl.RenderbufferStorage(gl.RENDERBUFFER, gl.RGBA8, int32(f.w), int32(f.h))
	gl.BindFramebuffer(gl.FRAMEBUFFER, f.fbo)
	gl.FramebufferRenderbuffer(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.RENDERBUFFER, f.rb)
	st := gl.CheckFramebufferStatus(gl.FRAMEBUFFER)
	gl.BindFramebuffer(gl.FRAMEBUFFER, f.target)
	if st != gl.FRAMEBUFFER_COMPLETE {
		f.release()
		return fmt.Errorf("gl compose: a %dx%d RGBA8 framebuffer is incomplete (status 0x%x)", f.w, f.h, st)
	}
	f.fboW, f.fboH = f.w, f.h
	return nil
}

// toPixels turns a desktop region into framebuffer pixels at scale: every pixel a changed
// desktop pixel touches.
func (f *glFrame) toPixels(g Region, scale float64) Region {
	var out Region
	fb := image.Rect(0, 0, f.w, f.h)
	for _, r := range g {
		p := image.Rect(
			int(math.Floor(float64(r.Min.X)*scale)), int(math.Floor(float64(r.Min.Y)*scale)),
			int(math.Ceil(float64(r.Max.X)*scale)), int(math.Ceil(float64(r.Max.Y)*scale)))
		out = out.Add(p.Intersect(fb))
	}
	return out
}

// toDesktop is the desktop rectangle holding every desktop pixel that framebuffer rectangle p
// shows part of: a surface overlapping it may touch p's pixels, one containing it covers them.
func (f *glFrame) toDesktop(p image.Rectangle, scale float64) image.Rectangle {
	return image.Rect(
		int(math.Floor(float64(p.Min.X)/scale)), int(math.Floor(float64(p.Min.Y)/scale)),
		int(math.Ceil(float64(p.Max.X)/scale)), int(math.Ceil(float64(p.Max.Y)/scale)))
}

// release frees the device's framebuffer. Releasing twice is harmless.
func (f *glFrame) release() {
	f.current = false
	if f.fbo != 0 {
		gl.DeleteFramebuffers(1, &f.fbo)
		f.fbo = 0
	}
	if f.rb != 0 {
		gl.DeleteRenderbuffers(1, &f.rb)
		f.rb = 0
	}
}

// SetTargetAge tells Compose what the framebuffer it draws to holds: the frame of the Compose
// age calls ago (1: the last frame, as a back buffer that is never swapped, or one the window
// system keeps across swaps; 2: the frame before last, as a two-buffer swap chain), or 0 when
// that is unknown. Compose then redraws there only what changed since that frame, or fills it
// whole. A new framebuffer size or target is unknown until Compose has filled it once.
func (d *GL) SetTargetAge(age int) { d.frame.age = age }

// Damage is the region of the picture that changed with the last Compose, in framebuffer
// pixels with the origin at the top-left (empty when nothing changed).
func (d *GL) Damage() Region { return d.frame.damage }

// TargetDamage is the region of the target framebuffer the last Compose wrote, in framebuffer
// pixels with the origin at the top-left: what a window system must show anew (a partial
// buffer copy such as glXCopySubBufferMESA).
func (d *GL) TargetDamage() Region { return d.frame.copied }

// Invalidate makes the next Compose redraw the whole frame.
func (d *GL) Invalidate() { d.track.invalidate() }
