package compositor

import (
	"fmt"
	"image"
	"sync"
	"sync/atomic"
)

// Surface is one RGBA8 raster on the desktop: a module's window or a piece of shell chrome.
// Pixels are RGBA8 with premultiplied alpha, rows top to bottom (the layout of image.RGBA).
//
// A surface is double-buffered: Present copies into the back buffer and flips it to the front
// under a short lock; devices read the front buffer with ReadPixels. Geometry (position, layer,
// visibility, title) is guarded by the scene's lock.
type Surface struct {
	ID    int    // unique within the scene, from 1
	Owner uint32 // pid of the owning process; 0 = the shell
	Name  string // owner's module name, for the shell's window list

	scene  *Scene
	closed atomic.Bool

	// Guarded by scene.mu.
	title   string
	rect    image.Rectangle // displayed position and size, desktop coordinates
	scaled  bool            // displayed size set by the shell apart from the scaled size
	scale   int             // pixel scale set by the owner (SetScale); 0 means 1
	layer   Layer
	visible bool
	opaque  bool

	presentMu sync.Mutex // serialises Present and Resize; guards back

	mu    sync.RWMutex // guards w, h, front and the front/back swap; gen changes under it
	w, h  int
	front []byte // w*h*4, read by devices
	back  []byte // w*h*4, written by Present

	// gen is the damage counter, bumped by every Present and Resize (under mu, with the
	// pixels it names); atomic so a scene snapshot reads it without taking mu.
	gen atomic.Uint64
}

// Present copies w x h pixels (the surface's content size) from pix, whose rows are stride
// bytes apart, and makes them the surface's picture. pix is only read during the call. It
// returns ErrBadStride when stride < w*4 or pix is too short, and ErrClosed after Close.
// One module thread per surface calls it; concurrent calls are serialised.
func (sf *Surface) Present(pix []byte, stride int) error {
	if sf.closed.Load() {
		return fmt.Errorf("present to surface %d: %w", sf.ID, ErrClosed)
	}
	sf.presentMu.Lock()
	defer sf.presentMu.Unlock()
	w, h := sf.w, sf.h // only Resize changes them, and it holds presentMu
	row := w * 4
	if stride < row || stride > 1<<31 {
		return fmt.Errorf("present to surface %d (%dx%d): %w: stride %d, want width*4 = %d up to 2^31", sf.ID, w, h, ErrBadStride, stride, row)
	}
	if need := stride*(h-1) + row; len(pix) < need {
		return fmt.Errorf("present to surface %d (%dx%d): %w: %d bytes, need %d for stride %d", sf.ID, w, h, ErrBadStride, len(pix), need, stride)
	}
	if stride == row {
		copy(sf.back, pix[:row*h])
	} else {
		for y := 0; y < h; y++ {
			copy(sf.back[y*row:(y+1)*row], pix[y*stride:y*stride+row])
		}
	}
	sf.mu.Lock()
	sf.front, sf.back = sf.back, sf.front
	sf.gen.Add(1)
	sf.mu.Unlock()
	sf.scene.touch()
	return nil
}

// Resize changes the content size to w x h (each 1..MaxSize, and at most MaxSize once
// scaled). The picture is cleared to transparent black until the next Present. Unless the
// shell scaled the surface with SetDisplaySize, the displayed size follows the scaled size.
func (sf *Surface) Resize(w, h int) error {
	if err := checkSize(w, h); err != nil {
		return fmt.Errorf("resize surface %d: %w", sf.ID, err)
	}
	if sf.closed.Load() {
		return fmt.Errorf("resize surface %d: %w", sf.ID, ErrClosed)
	}
	sf.presentMu.Lock()
	defer sf.presentMu.Unlock()
	s := sf.scene
	s.mu.Lock()
	n := max(sf.scale, 1)
	if err := checkSize(w*n, h*n); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("resize surface %d shown at %dx: %w", sf.ID, n, err)
	}
	sf.mu.Lock()
	sf.w, sf.h = w, h
	sf.front = make([]byte, w*h*4)
	sf.back = make([]byte, w*h*4)
	sf.gen.Add(1)
	sf.mu.Unlock()
	if !sf.scaled {
		sf.rect.Max = sf.rect.Min.Add(image.Pt(w*n, h*n))
	}
	s.mu.Unlock()
	s.touch()
	return nil
}

// MaxScale is the largest pixel scale of a surface (SetScale).
const MaxScale = 16

// SetScale shows the surface at n times its content size (1..MaxScale), each pixel an n x n
// block (nearest filtering): a small raster, such as a 160x160 console screen, fills a large
// window sharply while its owner presents, and devices upload, only its own pixels. The
// shell's SetDisplaySize still decides the displayed size; the blocks stay sharp while it
// equals the scaled size.
func (sf *Surface) SetScale(n int) error {
	if n < 1 || n > MaxScale {
		return fmt.Errorf("scale surface %d: %w: %d (want 1..%d)", sf.ID, ErrBadSize, n, MaxScale)
	}
	if sf.closed.Load() {
		return fmt.Errorf("scale surface %d: %w", sf.ID, ErrClosed)
	}
	s := sf.scene
	s.mu.Lock()
	w, h := sf.Size()
	if err := checkSize(w*n, h*n); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("scale surface %d to %dx: %w", sf.ID, n, err)
	}
	sf.scale = n
	if !sf.scaled {
		sf.rect.Max = sf.rect.Min.Add(image.Pt(w*n, h*n))
	}
	s.mu.Unlock()
	s.touch()
	return nil
}

// Scale returns the pixel scale (SetScale), 1 unless the owner set one.
func (sf *Surface) Scale() int {
	sf.scene.mu.Lock()
	defer sf.scene.mu.Unlock()
	return max(sf.scale, 1)
}

// ScaledSize returns the content size times the pixel scale: the size the surface is shown
// at unless the shell sets another with SetDisplaySize.
func (sf *Surface) ScaledSize() (w, h int) {
	n := sf.Scale()
	w, h = sf.Size()
	return w * n, h * n
}

// Size returns the content size in pixels.
func (sf *Surface) Size() (w, h int) {
	sf.mu.RLock()
	defer sf.mu.RUnlock()
	return sf.w, sf.h
}

// Generation returns the surface's damage counter. It changes on every Present and Resize; a
// device re-reads (re-uploads) a surface whose generation differs from the one it last drew.
func (sf *Surface) Generation() uint64 { return sf.gen.Load() }

// ReadPixels calls fn with the front buffer: w*h*4 bytes, stride w*4, and its generation. It
// holds a read lock during fn, so fn must copy or upload and return quickly; pix must not be
// kept after fn returns. A Present running meanwhile fills the back buffer and waits only for
// the flip.
func (sf *Surface) ReadPixels(fn func(pix []byte, w, h int, gen uint64)) {
	sf.mu.RLock()
	defer sf.mu.RUnlock()
	fn(sf.front, sf.w, sf.h, sf.gen.Load())
}

// Close removes the surface from its scene. Closing twice is harmless.
func (sf *Surface) Close() { sf.scene.Remove(sf.ID) }

// Closed reports whether the surface was closed or removed.
func (sf *Surface) Closed() bool { return sf.closed.Load() }

// update runs fn under the scene lock and signals a change.
func (sf *Surface) update(fn func()) {
	sf.scene.mu.Lock()
	fn()
	sf.scene.mu.Unlock()
	sf.scene.touch()
}

// Title returns the window title.
func (sf *Surface) Title() string {
	sf.scene.mu.Lock()
	defer sf.scene.mu.Unlock()
	return sf.title
}

// SetTitle changes the window title (drawn by the shell's chrome).
func (sf *Surface) SetTitle(title string) { sf.update(func() { sf.title = title }) }

// Rect returns the displayed position and size in desktop coordinates.
func (sf *Surface) Rect() image.Rectangle {
	sf.scene.mu.Lock()
	defer sf.scene.mu.Unlock()
	return sf.rect
}

// Move puts the surface's top-left corner at desktop point (x, y).
func (sf *Surface) Move(x, y int) {
	sf.update(func() { sf.rect = sf.rect.Add(image.Pt(x, y).Sub(sf.rect.Min)) })
}

// SetDisplaySize scales the surface to w x h desktop pixels (1..MaxSize each); devices stretch
// the content to fit. SetDisplaySize(0, 0) goes back to the scaled size (ScaledSize).
func (sf *Surface) SetDisplaySize(w, h int) error {
	if w == 0 && h == 0 {
		sf.update(func() {
			n := max(sf.scale, 1)
			cw, ch := sf.Size()
			sf.scaled = false
			sf.rect.Max = sf.rect.Min.Add(image.Pt(cw*n, ch*n))
		})
		return nil
	}
	if err := checkSize(w, h); err != nil {
		return fmt.Errorf("scale surface %d: %w", sf.ID, err)
	}
	sf.update(func() { sf.scaled = true; sf.rect.Max = sf.rect.Min.Add(image.Pt(w, h)) })
	return nil
}

// Visible reports whether the surface is drawn.
func (sf *Surface) Visible() bool {
	sf.scene.mu.Lock()
	defer sf.scene.mu.Unlock()
	return sf.visible
}

// SetVisible shows or hides the surface (a minimised window is hidden).
func (sf *Surface) SetVisible(v bool) { sf.update(func() { sf.visible = v }) }

// Layer returns the surface's layer.
func (sf *Surface) Layer() Layer {
	sf.scene.mu.Lock()
	defer sf.scene.mu.Unlock()
	return sf.layer
}

// SetLayer moves the surface to the top of layer l. Only the shell calls it.
func (sf *Surface) SetLayer(l Layer) error {
	if !l.valid() {
		return fmt.Errorf("surface %d: no such layer %d", sf.ID, int(l))
	}
	s := sf.scene
	s.mu.Lock()
	if i := s.indexLocked(sf.ID); i >= 0 {
		s.surfaces = append(s.surfaces[:i], s.surfaces[i+1:]...)
		sf.layer = l
		s.insertLocked(sf)
	} else {
		sf.layer = l
	}
	s.mu.Unlock()
	s.touch()
	return nil
}

// Opaque reports whether devices ignore the surface's alpha channel.
func (sf *Surface) Opaque() bool {
	sf.scene.mu.Lock()
	defer sf.scene.mu.Unlock()
	return sf.opaque
}

// SetOpaque chooses between drawing the surface as opaque (alpha ignored; the default for module
// surfaces, so a module cannot make holes in the desktop) and blending it source-over with its
// premultiplied alpha (the default for shell surfaces).
func (sf *Surface) SetOpaque(o bool) { sf.update(func() { sf.opaque = o }) }
