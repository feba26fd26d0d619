package canvas

import (
	"image"
	"image/color"
	"math"
)

// Fill paints r (clipped to img) with c, ignoring what was there.
func Fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	row := img.Pix[img.PixOffset(r.Min.X, r.Min.Y):]
	w := r.Dx() * 4
	for i := 0; i < w; i += 4 {
		row[i], row[i+1], row[i+2], row[i+3] = c.R, c.G, c.B, c.A
	}
	first := row[:w]
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		copy(img.Pix[img.PixOffset(r.Min.X, y):], first)
	}
}

// Circle fills the disc of radius r around (cx, cy), in pixel coordinates where pixel (x, y)
// has its centre at (x+0.5, y+0.5).
func Circle(img *image.RGBA, cx, cy, r float64, c color.RGBA) {
	shade(img, cx-r, cy-r, cx+r, cy+r, c, func(px, py float64) float64 {
		return r - math.Hypot(px-cx, py-cy)
	})
}

// Ring strokes the circle of radius r around (cx, cy) with a line width wide.
func Ring(img *image.RGBA, cx, cy, r, width float64, c color.RGBA) {
	o := r + width/2
	shade(img, cx-o, cy-o, cx+o, cy+o, c, func(px, py float64) float64 {
		return width/2 - math.Abs(math.Hypot(px-cx, py-cy)-r)
	})
}

// Line draws a segment from (x0, y0) to (x1, y1) width wide with round caps: the set of points
// closer than width/2 to the segment. Consecutive lines sharing end points make a smooth stroke.
func Line(img *image.RGBA, x0, y0, x1, y1, width float64, c color.RGBA) {
	h := width / 2
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	shade(img, math.Min(x0, x1)-h, math.Min(y0, y1)-h, math.Max(x0, x1)+h, math.Max(y0, y1)+h, c,
		func(px, py float64) float64 {
			t := 0.0
			if l2 > 0 {
				t = math.Max(0, math.Min(1, ((px-x0)*dx+(py-y0)*dy)/l2))
			}
			return h - math.Hypot(px-(x0+t*dx), py-(y0+t*dy))
		})
}

// shade blends c into every pixel of the box (x0, y0)-(x1, y1) with coverage inside(centre)+0.5
// clamped to [0, 1], where inside is the signed distance from the pixel centre to the shape's
// edge (positive inside).
func shade(img *image.RGBA, x0, y0, x1, y1 float64, c color.RGBA, inside func(px, py float64) float64) {
	r := image.Rect(int(math.Floor(x0))-1, int(math.Floor(y0))-1, int(math.Ceil(x1))+1, int(math.Ceil(y1))+1).Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		i := img.PixOffset(r.Min.X, y)
		for x := r.Min.X; x < r.Max.X; x, i = x+1, i+4 {
			cov := inside(float64(x)+0.5, float64(y)+0.5) + 0.5
			if cov <= 0 {
				continue
			}
			blend(img.Pix[i:i+4:i+4], c, math.Min(cov, 1))
		}
	}
}

// blend composes c (straight alpha) scaled by coverage over the premultiplied pixel p.
func blend(p []byte, c color.RGBA, coverage float64) {
	a := float64(c.A) / 255 * coverage
	if a >= 1 {
		p[0], p[1], p[2], p[3] = c.R, c.G, c.B, 255
		return
	}
	k := 1 - a
	p[0] = uint8(float64(c.R)*a + float64(p[0])*k + 0.5)
	p[1] = uint8(float64(c.G)*a + float64(p[1])*k + 0.5)
	p[2] = uint8(float64(c.B)*a + float64(p[2])*k + 0.5)
	p[3] = uint8(255*a + float64(p[3])*k + 0.5)
}
