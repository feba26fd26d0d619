package wasm4

// The drawing functions of the WASM-4 API, on the framebuffer in a cart's memory. They follow
// the reference web runtime pixel for pixel (the console most carts were made on), with one
// difference: arguments that would make it work without end (a line to x = 2^31, an oval
// 2^31 pixels wide) are clipped to what can be seen first, so no call takes long.
//
// Coordinates and sizes are the cart's i32 arguments, widened to int so sums never overflow.

// maxOval is the largest oval side drawn with the exact midpoint algorithm, which walks the
// whole outline; a larger oval is not drawn (Oval reports it).
const maxOval = 1 << 15

func (m Memory) drawPoint(color uint8, x, y int) {
	idx := AddrFramebuffer + (Width*y+x)>>2
	shift := uint(x&3) << 1
	m[idx] = color<<shift | m[idx]&^(3<<shift)
}

func (m Memory) drawPointClipped(color uint8, x, y int) {
	if x >= 0 && x < Width && y >= 0 && y < Height {
		m.drawPoint(color, x, y)
	}
}

// drawHLineFast fills [startX, endX) of row y, all inside the screen, whole bytes at a time
// where it can.
func (m Memory) drawHLineFast(color uint8, startX, y, endX int) {
	fillEnd := endX - endX&3
	fillStart := min((startX+3)&^3, fillEnd)
	if fillEnd-fillStart > 3 {
		for x := startX; x < fillStart; x++ {
			m.drawPoint(color, x, y)
		}
		from := AddrFramebuffer + (Width*y+fillStart)>>2
		to := AddrFramebuffer + (Width*y+fillEnd)>>2
		b := color * 0x55
		for i := from; i < to; i++ {
			m[i] = b
		}
		startX = fillEnd
	}
	for x := startX; x < endX; x++ {
		m.drawPoint(color, x, y)
	}
}

func (m Memory) drawHLineClipped(color uint8, startX, y, endX int) {
	if y < 0 || y >= Height {
		return
	}
	startX, endX = max(startX, 0), min(endX, Width)
	if startX < endX {
		m.drawHLineFast(color, startX, y, endX)
	}
}

// dc returns draw colour n (0..3) of DRAW_COLORS: 0 transparent, else palette index + 1.
func (m Memory) dc(n uint) uint8 { return uint8(m.DrawColors()>>(4*n)) & 0xf }

// HLine draws a horizontal line of len pixels from (x, y) in draw colour 1.
func (m Memory) HLine(x, y, length int32) {
	dc0 := m.dc(0)
	if dc0 == 0 {
		return
	}
	m.drawHLineClipped((dc0-1)&3, int(x), int(y), int(x)+int(length))
}

// VLine draws a vertical line of len pixels from (x, y) in draw colour 1.
func (m Memory) VLine(x, y, length int32) {
	X, Y := int(x), int(y)
	if Y+int(length) <= 0 || X < 0 || X >= Width {
		return
	}
	dc0 := m.dc(0)
	if dc0 == 0 {
		return
	}
	color := (dc0 - 1) & 3
	for yy := max(0, Y); yy < min(Height, Y+int(length)); yy++ {
		m.drawPoint(color, X, yy)
	}
}

// Rect draws a rectangle filled with draw colour 1 and outlined with draw colour 2.
func (m Memory) Rect(x, y, width, height int32) {
	X, Y := int(x), int(y)
	endXU, endYU := X+int(width), Y+int(height)
	startX, startY := max(0, X), max(0, Y)
	endX, endY := min(endXU, Width), min(endYU, Height)
	dc0, dc1 := m.dc(0), m.dc(1)
	if dc0 != 0 {
		for yy := startY; yy < endY; yy++ {
			m.drawHLineFast((dc0-1)&3, startX, yy, endX)
		}
	}
	if dc1 == 0 {
		return
	}
	stroke := (dc1 - 1) & 3
	if X >= 0 && X < Width {
		for yy := startY; yy < endY; yy++ {
			m.drawPoint(stroke, X, yy)
		}
	}
	if endXU > 0 && endXU <= Width {
		for yy := startY; yy < endY; yy++ {
			m.drawPoint(stroke, endXU-1, yy)
		}
	}
	if Y >= 0 && Y < Height && startX < endX {
		m.drawHLineFast(stroke, startX, Y, endX)
	}
	if endYU > 0 && endYU <= Height && startX < endX {
		m.drawHLineFast(stroke, startX, endYU-1, endX)
	}
}

// Oval draws an ellipse inside the box (x, y, width, height), filled with draw colour 1 and
// outlined with draw colour 2. It returns false, drawing nothing, for a side beyond ±32768.
func (m Memory) Oval(x, y, width, height int32) bool {
	dc0, dc1 := m.dc(0), m.dc(1)
	if dc1 == 0xf {
		return true
	}
	if width > maxOval || height > maxOval || width < -maxOval || height < -maxOval {
		return false
	}
	stroke, fill := (dc1-1)&3, (dc0-1)&3
	w, h := int(width), int(height)
	a, b := w-1, h-1
	b1 := b % 2
	north := int(y) + floorDiv(h, 2)
	west, east := int(x), int(x)+w-1
	south := north - b1
	dx := 4 * (1 - a) * b * b
	dy := 4 * (b1 + 1) * a * a
	err := dx + dy + b1*a*a
	a *= 8 * a
	b1 = 8 * b * b
	for {
		m.drawPointClipped(stroke, east, north)
		m.drawPointClipped(stroke, west, north)
		m.drawPointClipped(stroke, west, south)
		m.drawPointClipped(stroke, east, south)
		if start := west + 1; dc0 != 0 && east-start > 0 {
			m.drawHLineClipped(fill, start, north, east)
			m.drawHLineClipped(fill, start, south, east)
		}
		err2 := 2 * err
		if err2 <= dy {
			north++
			south--
			dy += a
			err += dy
		}
		if err2 >= dx || 2*err > dy {
			west++
			east--
			dx += b1
			err += dx
		}
		if west > east {
			break
		}
	}
	for north-south < h {
		m.drawPointClipped(stroke, west-1, north)
		m.drawPointClipped(stroke, east+1, north)
		north++
		m.drawPointClipped(stroke, west-1, south)
		m.drawPointClipped(stroke, east+1, south)
		south--
	}
	return true
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Line draws a line from (x1, y1) to (x2, y2) in draw colour 1. A line reaching further than
// 32768 pixels from the screen is first clipped to the screen's neighbourhood, so it costs at
// most a few hundred steps however long it is.
func (m Memory) Line(x1, y1, x2, y2 int32) {
	dc0 := m.dc(0)
	if dc0 == 0 {
		return
	}
	X1, Y1, X2, Y2 := int(x1), int(y1), int(x2), int(y2)
	if far(X1) || far(Y1) || far(X2) || far(Y2) {
		var ok bool
		if X1, Y1, X2, Y2, ok = clipLine(X1, Y1, X2, Y2); !ok {
			return
		}
	}
	color := (dc0 - 1) & 3
	if Y1 > Y2 {
		X1, X2, Y1, Y2 = X2, X1, Y2, Y1
	}
	dx, sx := X2-X1, 1
	if dx < 0 {
		dx = -dx
	}
	if X1 >= X2 {
		sx = -1
	}
	dy := Y2 - Y1
	e := -dy
	if dx > dy {
		e = dx
	}
	err := float64(e) / 2 // the reference divides in floating point
	for {
		m.drawPointClipped(color, X1, Y1)
		if X1 == X2 && Y1 == Y2 {
			return
		}
		e2 := err
		if e2 > float64(-dx) {
			err -= float64(dy)
			X1 += sx
		}
		if e2 < float64(dy) {
			err += float64(dx)
			Y1++
		}
	}
}

func far(v int) bool { return v < -maxOval || v > maxOval }

// clipLine cuts the segment to the box [-16, 176) on both axes (Liang-Barsky), rounding the
// new ends to whole pixels; ok is false when no part of it comes near the screen.
func clipLine(x1, y1, x2, y2 int) (int, int, int, int, bool) {
	const lo, hi = -16.0, 176.0
	fx1, fy1 := float64(x1), float64(y1)
	dx, dy := float64(x2-x1), float64(y2-y1)
	t0, t1 := 0.0, 1.0
	for _, e := range [4][2]float64{{-dx, fx1 - lo}, {dx, hi - fx1}, {-dy, fy1 - lo}, {dy, hi - fy1}} {
		p, q := e[0], e[1]
		if p == 0 {
			if q < 0 {
				return 0, 0, 0, 0, false
			}
			continue
		}
		r := q / p
		if p < 0 {
			t0 = max(t0, r)
		} else {
			t1 = min(t1, r)
		}
		if t0 > t1 {
			return 0, 0, 0, 0, false
		}
	}
	round := func(v float64) int {
		if v < 0 {
			return -int(-v + 0.5)
		}
		return int(v + 0.5)
	}
	return round(fx1 + t0*dx), round(fy1 + t0*dy), round(fx1 + t1*dx), round(fy1 + t1*dy), true
}

// Sprite is the source of a blit: the bytes from the sprite's address to the end of memory
// (or a font). Reads past its end read as colour 0, as in the reference runtime, and are
// counted in Over.
type Sprite struct {
	Data []byte
	Over bool // some pixel was read from past the end
}

func (s *Sprite) bits(bitIndex int, bpp2 bool) uint {
	if bitIndex < 0 {
		s.Over = true
		return 0
	}
	if bpp2 {
		i := bitIndex >> 2
		if i >= len(s.Data) {
			s.Over = true
			return 0
		}
		return uint(s.Data[i]>>(6-uint(bitIndex&3)<<1)) & 3
	}
	i := bitIndex >> 3
	if i >= len(s.Data) {
		s.Over = true
		return 0
	}
	return uint(s.Data[i]>>(7-uint(bitIndex&7))) & 1
}

// Blit draws the width x height region at (srcX, srcY) of a sprite stride pixels wide at
// (dstX, dstY), mapping its 1 or 2 bits per pixel through DRAW_COLORS (0 = transparent). Only
// the part on screen is visited, so a width of 2^31 costs what a width of 160 does.
func (m Memory) Blit(s *Sprite, dstX, dstY, width, height, srcX, srcY, stride int32, flags uint32) {
	colors := uint(m.DrawColors())
	bpp2 := flags&Blit2BPP != 0
	flipX, flipY, rotate := flags&BlitFlipX != 0, flags&BlitFlipY != 0, flags&BlitRotate != 0
	dx, dy, w, h := int(dstX), int(dstY), int(width), int(height)
	var xMin, yMin, xMax, yMax int
	if rotate {
		flipX = !flipX
		xMin, yMin = max(0, dy)-dy, max(0, dx)-dx
		xMax, yMax = min(w, Height-dy), min(h, Width-dx)
	} else {
		xMin, yMin = max(0, dx)-dx, max(0, dy)-dy
		xMax, yMax = min(w, Width-dx), min(h, Height-dy)
	}
	sx0, sy0, st := int(srcX), int(srcY), int(stride)
	for y := yMin; y < yMax; y++ {
		for x := xMin; x < xMax; x++ {
			tx, ty := dx+x, dy+y
			if rotate {
				tx, ty = dx+y, dy+x
			}
			sx, sy := sx0+x, sy0+y
			if flipX {
				sx = sx0 + w - x - 1
			}
			if flipY {
				sy = sy0 + h - y - 1
			}
			c := uint8(colors>>(s.bits(sy*st+sx, bpp2)<<2)) & 0xf
			if c != 0 {
				m.drawPoint((c-1)&3, tx, ty)
			}
		}
	}
}
