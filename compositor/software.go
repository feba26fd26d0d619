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
//
// It keeps the frame it composed last and redraws only the region that changed since (see
// damageTracker): a window that presented is redrawn where it shows, a moved one where it was
// and where it is. Composing into another frame than last time redraws it whole.
type Software struct {
	W, H       int        // size of the device's own frame
	Background color.RGBA // opaque desktop colour

	frame   *image.RGBA
	last    uint64 // scene version of the last composition into lastDst
	lastDst *image.RGBA
	lastSc  *Scene
	track   damageTracker
	damage  Region // what the last Compose redrew, desktop coordinates
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

// Invalidate makes the next Compose redraw the whole frame (after something other than the
// device drew into it).
func (d *Software) Invalidate() { d.track.invalidate() }

// Damage is the region the last Compose redrew, in desktop coordinates (empty when nothing
// changed).
func (d *Software) Damage() Region { return d.damage }

// Compose draws the visible surfaces of s back to front over the background into dst (or the
// device's own frame when dst is nil), clipped at the frame's edges, redrawing only what
// changed since the last composition into the same frame. Opaque surfaces are copied row by
// row with alpha forced to 255; others are blended source-over (premultiplied).
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
	if dst != d.lastDst || s != d.lastSc {
		d.track.invalidate()
	} else if snap.Version == d.last && d.track.valid && d.track.bg == bg {
		d.damage = nil
		return nil
	}
	d.last, d.lastDst, d.lastSc = snap.Version, dst, s
	d.damage = d.track.diff(snap, dst.Rect.Sub(dst.Rect.Min), bg)
	d.redraw(dst, snap, d.damage, bg)
	return nil
}

// redraw draws region g (desktop coordinates, disjoint rectangles) of the frame from the
// background up. Each surface's pixels are read once, under one ReadPixels, for every
// rectangle it shows in, so a frame never mixes two of its presents.
func (d *Software) redraw(dst *image.RGBA, snap Snapshot, g Region, bg color.RGBA) {
	org := dst.Rect.Min
	first := make([]int, len(g))
	for i, r := range g {
		// Whatever lies below an opaque surface covering the whole rectangle (a wallpaper, a
		// window over a damaged spot) cannot show: start from the topmost such surface.
		f, covered := snap.firstShown(r)
		first[i] = f
		if !covered {
			draw.Draw(dst, r.Add(org), image.NewUniform(bg), image.Point{}, draw.Src)
		}
	}
	for n, it := range snap.Items {
		shows := func(i int) bool { return n >= first[i] && it.Rect.Overlaps(g[i]) }
		if !anyRect(len(g), shows) {
			continue
		}
		it.Surface.ReadPixels(func(pix []byte, w, h int, _ uint64) {
			for i, r := range g {
				if shows(i) {
					drawItem(dst, it, pix, w, h, r)
				}
			}
		})
	}
	// Opaque surfaces were copied with the alpha bytes they brought along; translucent ones
	// blended on top meanwhile are unaffected (source-over's colour channels do not read the
	// destination's alpha). The frame is opaque: set every redrawn pixel's alpha to 255.
	for _, r := range g {
		forceAlpha(dst, r.Add(org))
	}
}

// anyRect reports whether f holds for one of the rectangles 0..n-1.
func anyRect(n int, f func(i int) bool) bool {
	for i := range n {
		if f(i) {
			return true
		}
	}
	return false
}

// drawItem draws one surface's pixels into the part of dst that lies in clip (desktop
// coordinates). Opaque surfaces keep their alpha bytes here; redraw sets them to 255
// afterwards. A pixel comes out the same whatever the clip: scaling maps the whole displayed
// rectangle and is only cut at the clip's edges.
func drawItem(dst *image.RGBA, it Item, pix []byte, w, h int, clip image.Rectangle) {
	org := dst.Rect.Min
	r := it.Rect.Add(org) // the item in dst's coordinates
	clip = r.Intersect(clip.Add(org)).Intersect(dst.Rect)
	if clip.Empty() {
		return
	}
	src := &image.RGBA{Pix: pix, Stride: w * 4, Rect: image.Rect(0, 0, w, h)}
	op := xdraw.Over
	if it.Opaque {
		op = xdraw.Src
	}
	switch n, sharp := it.blocks(w, h); {
	case !sharp: // scaled by the shell
		xdraw.ApproxBiLinear.Scale(dst.SubImage(clip).(*image.RGBA), r, src, src.Rect, op, nil)
		return
	case n > 1 && it.Opaque:
		drawBlocks(dst, r, clip, pix, w, n)
		return
	case n > 1:
		xdraw.NearestNeighbor.Scale(dst.SubImage(clip).(*image.RGBA), r, src, src.Rect, op, nil)
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

// drawBlocks draws an opaque surface of w-pixel rows shown at r (dst coordinates) as n x n
// blocks, into the part clip of dst: each source row is expanded once, into the first
// destination row of its block inside clip, and copied to the block's other rows. As with
// the 1:1 copy, the alpha bytes come along and redraw sets them to 255.
func drawBlocks(dst *image.RGBA, r, clip image.Rectangle, pix []byte, w, n int) {
	rowBytes := clip.Dx() * 4
	off := clip.Min.X - r.Min.X // first column drawn, in scaled pixels
	sx0, skip := off/n, off%n   // its source column, and how much of that block clip cuts off
	last, lastSy := 0, -1       // offset in dst of the row expanded last, and its source row
	for y := clip.Min.Y; y < clip.Max.Y; y++ {
		do := dst.PixOffset(clip.Min.X, y)
		row := dst.Pix[do : do+rowBytes]
		sy := (y - r.Min.Y) / n
		if sy == lastSy {
			copy(row, dst.Pix[last:last+rowBytes])
			continue
		}
		src := pixels(pix[sy*w*4 : (sy+1)*w*4])[sx0:]
		out := pixels(row)
		for i, k := 0, n-skip; i < len(out); i, k = i+k, n {
			blk := out[i:min(i+k, len(out))] // this block's pixels inside clip
			v := src[0]
			for j := range blk {
				blk[j] = v
			}
			src = src[1:]
		}
		last, lastSy = do, sy
	}
}

// pixels views RGBA8 bytes as one uint32 per pixel.
func pixels(b []byte) []uint32 {
	if len(b) < 4 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), len(b)/4)
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
