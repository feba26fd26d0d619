package shell

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Small drawing helpers for the chrome: anti-aliased circles and lines through
// golang.org/x/image/vector (a scanline rasterizer with exact coverage), rounded rectangles and
// shadows computed per pixel only where they are not plain rectangles, and text through
// font.Drawer.

func fillRect(dst *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Over)
}

// fillRoundRect fills r with corners of radius rad (anti-aliased), blending over dst.
func fillRoundRect(dst *image.RGBA, r image.Rectangle, rad float32, c color.Color) {
	fillRoundRectCorners(dst, r, rad, rad, c)
}

// fillRoundRectCorners is fillRoundRect with separate top and bottom radii (a title bar
// rounds only its top corners). The straight parts are plain rectangle fills; only the four
// corner squares are computed per pixel (coverage from the distance to the corner's circle),
// so a large window frame costs little more than a rectangle.
func fillRoundRectCorners(dst *image.RGBA, r image.Rectangle, top, bottom float32, c color.Color) {
	if r.Empty() || !r.Overlaps(dst.Bounds()) {
		return
	}
	half := float32(min(r.Dx(), r.Dy())) / 2
	top, bottom = min(top, half), min(bottom, half)
	tr, br := int(top+0.999), int(bottom+0.999)
	fillRect(dst, image.Rect(r.Min.X, r.Min.Y+tr, r.Max.X, r.Max.Y-br), c)
	fillRect(dst, image.Rect(r.Min.X+tr, r.Min.Y, r.Max.X-tr, r.Min.Y+tr), c)
	fillRect(dst, image.Rect(r.Min.X+br, r.Max.Y-br, r.Max.X-br, r.Max.Y), c)
	pc := premul(c)
	x0, x1 := float32(r.Min.X), float32(r.Max.X)
	y0, y1 := float32(r.Min.Y), float32(r.Max.Y)
	corner(dst, image.Rect(r.Min.X, r.Min.Y, r.Min.X+tr, r.Min.Y+tr), x0+top, y0+top, top, pc)
	corner(dst, image.Rect(r.Max.X-tr, r.Min.Y, r.Max.X, r.Min.Y+tr), x1-top, y0+top, top, pc)
	corner(dst, image.Rect(r.Min.X, r.Max.Y-br, r.Min.X+br, r.Max.Y), x0+bottom, y1-bottom, bottom, pc)
	corner(dst, image.Rect(r.Max.X-br, r.Max.Y-br, r.Max.X, r.Max.Y), x1-bottom, y1-bottom, bottom, pc)
}

// corner fills the part of square sq inside the circle (cx, cy, rad), anti-aliased.
func corner(dst *image.RGBA, sq image.Rectangle, cx, cy, rad float32, c [4]float32) {
	sq = sq.Intersect(dst.Bounds())
	for y := sq.Min.Y; y < sq.Max.Y; y++ {
		for x := sq.Min.X; x < sq.Max.X; x++ {
			dx, dy := float32(x)+0.5-cx, float32(y)+0.5-cy
			cov := rad - sqrt32(dx*dx+dy*dy) + 0.5
			if cov > 0 {
				blend(dst, x, y, c, min(cov, 1))
			}
		}
	}
}

// premul returns c as premultiplied components in 0..1.
func premul(c color.Color) [4]float32 {
	r, g, b, a := c.RGBA()
	return [4]float32{float32(r) / 0xffff, float32(g) / 0xffff, float32(b) / 0xffff, float32(a) / 0xffff}
}

// blend draws premultiplied colour c with coverage cov over pixel (x, y).
func blend(dst *image.RGBA, x, y int, c [4]float32, cov float32) {
	i := dst.PixOffset(x, y)
	p := dst.Pix[i : i+4 : i+4]
	k := 1 - c[3]*cov
	for j := range 4 {
		p[j] = uint8(c[j]*cov*255 + float32(p[j])*k + 0.5)
	}
}

// dropShadow darkens dst around rectangle r (rounded by rad): black with alpha maxA at the
// edge, fading to nothing over spread pixels. Pixels well inside r are skipped (the frame
// drawn on top hides them).
func dropShadow(dst *image.RGBA, r image.Rectangle, rad, spread, maxA float32) {
	cx, cy := float32(r.Min.X+r.Max.X)/2, float32(r.Min.Y+r.Max.Y)/2
	hx, hy := float32(r.Dx())/2-rad, float32(r.Dy())/2-rad
	inner := r.Inset(int(rad) + 1)
	b := dst.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if x >= inner.Min.X && x < inner.Max.X && y >= inner.Min.Y && y < inner.Max.Y {
				x = inner.Max.X - 1
				continue
			}
			qx := max(abs32(float32(x)+0.5-cx)-hx, 0)
			qy := max(abs32(float32(y)+0.5-cy)-hy, 0)
			d := sqrt32(qx*qx+qy*qy) - rad // distance outside the rounded rectangle
			if d >= spread {
				continue
			}
			t := 1 - max(d, 0)/spread
			blend(dst, x, y, [4]float32{0, 0, 0, maxA}, t*t)
		}
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// rasterize fills z's path (in r's coordinates) with c over dst, clipped to dst: the
// rasterizer itself needs a destination rectangle inside dst's bounds.
func rasterize(dst *image.RGBA, r image.Rectangle, z *vector.Rasterizer, c color.Color) {
	clip := r.Intersect(dst.Bounds())
	if clip.Empty() {
		return
	}
	if clip == r {
		z.Draw(dst, r, image.NewUniform(c), image.Point{})
		return
	}
	mask := image.NewAlpha(image.Rect(0, 0, r.Dx(), r.Dy()))
	z.Draw(mask, mask.Rect, image.Opaque, image.Point{})
	draw.DrawMask(dst, clip, image.NewUniform(c), image.Point{}, mask, clip.Min.Sub(r.Min), draw.Over)
}

// fillCircle fills a circle of radius rad centred at (cx, cy).
func fillCircle(dst *image.RGBA, cx, cy, rad float32, c color.Color) {
	r := image.Rect(int(cx-rad)-1, int(cy-rad)-1, int(cx+rad)+2, int(cy+rad)+2)
	ox, oy := float32(r.Min.X), float32(r.Min.Y)
	z := vector.NewRasterizer(r.Dx(), r.Dy())
	const k = 0.5523
	x, y := cx-ox, cy-oy
	z.MoveTo(x+rad, y)
	z.CubeTo(x+rad, y+rad*k, x+rad*k, y+rad, x, y+rad)
	z.CubeTo(x-rad*k, y+rad, x-rad, y+rad*k, x-rad, y)
	z.CubeTo(x-rad, y-rad*k, x-rad*k, y-rad, x, y-rad)
	z.CubeTo(x+rad*k, y-rad, x+rad, y-rad*k, x+rad, y)
	z.ClosePath()
	rasterize(dst, r, z, c)
}

// strokeLine draws an anti-aliased line of width lw from (x0,y0) to (x1,y1).
func strokeLine(dst *image.RGBA, x0, y0, x1, y1, lw float32, c color.Color) {
	dx, dy := x1-x0, y1-y0
	l := sqrt32(dx*dx + dy*dy)
	if l == 0 {
		return
	}
	nx, ny := -dy/l*lw/2, dx/l*lw/2
	pad := int(lw) + 2
	r := image.Rect(int(min(x0, x1))-pad, int(min(y0, y1))-pad, int(max(x0, x1))+pad, int(max(y0, y1))+pad)
	ox, oy := float32(r.Min.X), float32(r.Min.Y)
	z := vector.NewRasterizer(r.Dx(), r.Dy())
	z.MoveTo(x0+nx-ox, y0+ny-oy)
	z.LineTo(x1+nx-ox, y1+ny-oy)
	z.LineTo(x1-nx-ox, y1-ny-oy)
	z.LineTo(x0-nx-ox, y0-ny-oy)
	z.ClosePath()
	rasterize(dst, r, z, c)
}

func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }

// verticalGradient fills r from top colour a to bottom colour b.
func verticalGradient(dst *image.RGBA, r image.Rectangle, a, b color.RGBA) {
	h := r.Dy()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		t := float64(y-r.Min.Y) / float64(max(h-1, 1))
		c := lerp(a, b, t)
		for x := r.Min.X; x < r.Max.X; x++ {
			dst.SetRGBA(x, y, c)
		}
	}
}

func lerp(a, b color.RGBA, t float64) color.RGBA {
	f := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t + 0.5) }
	return color.RGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), f(a.A, b.A)}
}

// drawText draws s with its baseline at (x, y) and returns the x after the last glyph.
func drawText(dst *image.RGBA, face font.Face, x, y int, s string, c color.Color) int {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
	return d.Dot.X.Round()
}

// textWidth is the advance of s in pixels.
func textWidth(face font.Face, s string) int {
	return font.MeasureString(face, s).Round()
}

// baselineFor returns the baseline y that centres face's line box vertically in [top, top+h).
func baselineFor(face font.Face, top, h int) int {
	m := face.Metrics()
	asc, desc := m.Ascent.Round(), m.Descent.Round()
	return top + (h-(asc+desc))/2 + asc
}

// ellipsize shortens s with "…" so it fits in w pixels.
func ellipsize(face font.Face, s string, w int) string {
	if textWidth(face, s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 {
		r = r[:len(r)-1]
		if t := string(r) + "…"; textWidth(face, t) <= w {
			return t
		}
	}
	return ""
}

// runeOffsets returns the x advance (from the start of s) of every rune boundary of s:
// len(runes)+1 values. The URL bar uses it to place the cursor and map clicks to positions.
func runeOffsets(face font.Face, s string) []int {
	out := make([]int, 0, len(s)+1)
	out = append(out, 0)
	var adv fixed.Int26_6
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			adv += face.Kern(prev, r)
		}
		a, _ := face.GlyphAdvance(r)
		adv += a
		out = append(out, adv.Round())
		prev = r
	}
	return out
}
