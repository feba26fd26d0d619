package compositor

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"unsafe"

	xdraw "golang.org/x/image/draw"
)

// Software is the pure-Go device: it composes a scene into an *image.RGBA. It serves headless
// runs, screenshots and tests, and is the reference the GL device is checked against. A Software
// is used by one goroutine at a time.
type Software struct {
	W, H       int        // size of the device's own frame
	Background color.RGBA // opaque desktop colour

	frame   *image.RGBA
	last    uint64 // scene version of the last composition into frame
	lastDst *image.RGBA
	lastSc  *Scene
	lastBg  color.RGBA
}

// NewSoftware returns a software device whose own frame is w x h pixels.
func NewSoftware(w, h int) *Software {
	return &Software{W: w, H: h, Background: DefaultBackground}
}

// Frame returns the device's own frame (allocated on first use), the one Compose fills when its
// dst is nil.
func (d *Software) Frame() *image.RGBA {
	if d.frame == nil || d.frame.Rect.Dx() != d.W || d.frame.Rect.Dy() != d.H {
		d.frame = image.NewRGBA(image.Rect(0, 0, d.W, d.H))
		d.lastDst = nil
	}
	return d.frame
}

// Compose draws every visible surface of s back to front over the background into dst (or the
// device's own frame when dst is nil), clipped at the frame's edges. Opaque surfaces are copied
// row by row with alpha forced to 255; others are blended source-over (premultiplied). When
// nothing changed since the last composition into the same frame, it returns at once.
func (d *Software) Compose(s *Scene, dst Frame) error {
	if dst == nil {
		dst = d.Frame()
	}
	if dst.Rect.Empty() {
		return fmt.Errorf("software compose: %w: empty frame %v", ErrFrameSize, dst.Rect)
	}
	snap := s.Snapshot()
	bg := d.Background
	bg.A = 0xff
	if dst == d.lastDst && s == d.lastSc && snap.Version == d.last && bg == d.lastBg {
		return nil
	}
	// Whatever lies below an opaque surface covering the whole frame (a wallpaper, a
	// full-screen window) cannot show: start from the topmost such surface.
	first, covered := snap.firstShown(dst.Rect.Sub(dst.Rect.Min))
	if !covered {
		draw.Draw(dst, dst.Rect, image.NewUniform(bg), image.Point{}, draw.Src)
	}
	// Opaque surfaces are copied as they are; the alpha bytes they bring along are set to 255
	// in one pass at the end over the area they touched. Translucent surfaces blended on top
	// meanwhile are unaffected: source-over's colour channels do not read the destination's alpha.
	var rawAlpha image.Rectangle
	for _, it := range snap.Items[first:] {
		it.Surface.ReadPixels(func(pix []byte, w, h int, _ uint64) {
			drawItem(dst, it, pix, w, h)
		})
		if it.Opaque {
			rawAlpha = rawAlpha.Union(it.Rect.Add(dst.Rect.Min).Intersect(dst.Rect))
		}
	}
	forceAlpha(dst, rawAlpha)
	d.last, d.lastDst, d.lastSc, d.lastBg = snap.Version, dst, s, bg
	return nil
}

// drawItem draws one surface's pixels into dst at the item's rectangle. Opaque surfaces keep
// their alpha bytes here; Compose sets them to 255 afterwards.
func drawItem(dst *image.RGBA, it Item, pix []byte, w, h int) {
	org := dst.Rect.Min
	r := it.Rect.Add(org) // the item in dst's coordinates
	clip := r.Intersect(dst.Rect)
	if clip.Empty() {
		return
	}
	src := &image.RGBA{Pix: pix, Stride: w * 4, Rect: image.Rect(0, 0, w, h)}
	if r.Dx() != w || r.Dy() != h {
		op := xdraw.Over
		if it.Opaque {
			op = xdraw.Src
		}
		xdraw.ApproxBiLinear.Scale(dst, r, src, src.Rect, op, nil)
		return
	}
	sp := clip.Min.Sub(r.Min)
	if !it.Opaque {
		draw.Draw(dst, clip, src, sp, draw.Over)
		return
	}
	n := clip.Dx() * 4
	for y := 0; y < clip.Dy(); y++ {
		so := (sp.Y+y)*src.Stride + sp.X*4
		do := dst.PixOffset(clip.Min.X, clip.Min.Y+y)
		copy(dst.Pix[do:do+n], pix[so:so+n])
	}
}

// forceAlpha sets the alpha of every pixel of dst inside r to 255.
func forceAlpha(dst *image.RGBA, r image.Rectangle) {
	r = r.Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		o := dst.PixOffset(r.Min.X, y)
		setAlpha(dst.Pix[o : o+r.Dx()*4])
	}
}

// setAlpha sets every fourth byte of row (RGBA pixels) to 255, two pixels per 64-bit OR.
func setAlpha(row []byte) {
	if len(row) < 8 {
		for i := 3; i < len(row); i += 4 {
			row[i] = 0xff
		}
		return
	}
	words := unsafe.Slice((*uint64)(unsafe.Pointer(&row[0])), len(row)/8)
	alpha := uint64(0xff000000_ff000000) // bytes 3 and 7 of a little-endian word
	if !littleEndian {
		alpha = 0x000000ff_000000ff
	}
	for i := range words {
		words[i] |= alpha
	}
	if len(row)%8 != 0 {
		row[len(row)-1] = 0xff
	}
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

var _ Device = (*Software)(nil)
