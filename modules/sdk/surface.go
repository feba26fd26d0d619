//go:build wasip1

package sdk

import (
	"fmt"
	"image"
	"unsafe"
)

// Surface is a window the process draws into by presenting RGBA images. Input for it arrives
// as KindEvent messages whose events carry its ID.
type Surface struct {
	id     int32
	w, h   int
	closed bool
}

// NewSurface opens a width x height window titled title. It fails with ErrInvalid for sizes
// outside 1..8192, ErrDenied when the process's namespace grants no UI, ErrLimit when the
// process has too many surfaces.
func NewSurface(width, height int, title string) (*Surface, error) {
	id, err := check(hostSurfaceCreate(int32(width), int32(height), title))
	if err != nil {
		return nil, fmt.Errorf("orbital: open %dx%d surface %q: %w", width, height, title, err)
	}
	return &Surface{id: id, w: width, h: height}, nil
}

// ID is the surface id the host gave; input events name it.
func (s *Surface) ID() int32 { return s.id }

// Size is the surface's current size in pixels.
func (s *Surface) Size() (width, height int) { return s.w, s.h }

// Bounds is image.Rect(0, 0, width, height).
func (s *Surface) Bounds() image.Rectangle { return image.Rect(0, 0, s.w, s.h) }

// NewImage allocates an image of the surface's current size to draw frames into.
func (s *Surface) NewImage() *image.RGBA { return image.NewRGBA(s.Bounds()) }

// Present shows img, which must be exactly the surface's size. The host copies the pixels
// once, straight out of img.Pix (no copy in the guest), so img may be drawn on again as soon as
// Present returns. A sub-image works: its Stride is passed along.
func (s *Surface) Present(img *image.RGBA) error {
	if s.closed {
		return fmt.Errorf("orbital: present on closed surface %d: %w", s.id, ErrNotFound)
	}
	if w, h := img.Rect.Dx(), img.Rect.Dy(); w != s.w || h != s.h {
		return fmt.Errorf("orbital: present %dx%d image on %dx%d surface %d: %w", w, h, s.w, s.h, s.id, ErrInvalid)
	}
	if len(img.Pix) == 0 {
		return fmt.Errorf("orbital: present an image with no pixels on surface %d: %w", s.id, ErrInvalid)
	}
	r := hostSurfacePresent(s.id, unsafe.Pointer(unsafe.SliceData(img.Pix)), int32(len(img.Pix)), int32(img.Stride))
	if r < 0 {
		return fmt.Errorf("orbital: present on surface %d: %w", s.id, Errno(r))
	}
	return nil
}

// PresentRegion shows an RGBA picture that is already in a region (a GPU drawing, a camera
// frame): surface-size rows of stride bytes from offset. The host copies it once, straight from
// the shared memory into the window, without passing it through the module's memory. The
// process needs the read right on the region (ErrRights); a picture past the region's end is
// ErrInvalid.
func (s *Surface) PresentRegion(r Region, offset int64, stride int) error {
	if s.closed {
		return fmt.Errorf("orbital: present on closed surface %d: %w", s.id, ErrNotFound)
	}
	if rc := hostSurfacePresentRegion(s.id, int32(r.Handle), offset, int32(stride)); rc < 0 {
		return fmt.Errorf("orbital: present region %d on surface %d: %w", r.Handle, s.id, Errno(rc))
	}
	return nil
}

// Resize changes the surface's size; the next Present must match it. Call it when a Resize
// event arrives (or to ask for a new size yourself).
func (s *Surface) Resize(width, height int) error {
	if _, err := check(hostSurfaceResize(s.id, int32(width), int32(height))); err != nil {
		return fmt.Errorf("orbital: resize surface %d to %dx%d: %w", s.id, width, height, err)
	}
	s.w, s.h = width, height
	return nil
}

// Close destroys the surface and its window. Closing twice is harmless.
func (s *Surface) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if _, err := check(hostSurfaceDestroy(s.id)); err != nil {
		return fmt.Errorf("orbital: close surface %d: %w", s.id, err)
	}
	return nil
}
