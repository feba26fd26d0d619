package shell

import (
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Small drawing helpers for the chrome: anti-aliased shapes through golang.org/x/image/vector
// (a scanline rasterizer with exact coverage) and text through font.Drawer.

func fillRect(dst *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Over)
}

// fillRoundRect fills r with corners of radius rad (anti-aliased), blending over dst.
func fillRoundRect(dst *image.RGBA, r image.Rectangle, rad float32, c color.Color) {
	fillRoundRectCorners(dst, r, rad, rad, c)
}

// fillRoundRectCorners is fillRoundRect with separate top and bottom radii (a title bar
// rounds only its top corners).
func fillRoundRectCorners(dst *image.RGBA, r image.Rectangle, top, bottom float32, c color.Color) {
	if r.Empty() || !r.Overlaps(dst.Bounds()) {
		return
	}
	w, h := float32(r.Dx()), float32(r.Dy())
	top, bottom = min(top, w/2, h/2), min(bottom, w/2, h/2)
	z := vector.NewRasterizer(r.Dx(), r.Dy())
	const k = 0.4477 // 1 - 0.5523: cubic approximation of a quarter circle
	z.MoveTo(top, 0)
	z.LineTo(w-top, 0)
	z.CubeTo(w-top*k, 0, w, top*k, w, top)
	z.LineTo(w, h-bottom)
	z.CubeTo(w, h-bottom*k, w-bottom*k, h, w-bottom, h)
	z.LineTo(bottom, h)
	z.CubeTo(bottom*k, h, 0, h-bottom*k, 0, h-bottom)
	z.LineTo(0, top)
	z.CubeTo(0, top*k, top*k, 0, top, 0)
	z.ClosePath()
	rasterize(dst, r, z, c)
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
	b := dst.Bounds()
	z := vector.NewRasterizer(b.Dx(), b.Dy())
	ox, oy := float32(b.Min.X), float32(b.Min.Y)
	z.MoveTo(x0+nx-ox, y0+ny-oy)
	z.LineTo(x1+nx-ox, y1+ny-oy)
	z.LineTo(x1-nx-ox, y1-ny-oy)
	z.LineTo(x0-nx-ox, y0-ny-oy)
	z.ClosePath()
	z.Draw(dst, b, image.NewUniform(c), b.Min)
}

func sqrt32(v float32) float32 {
	// Newton's method is plenty for chrome geometry.
	if v <= 0 {
		return 0
	}
	x := v
	for range 12 {
		x = 0.5 * (x + v/x)
	}
	return x
}

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
