package camera

import "image"

// The frame counter is drawn as CounterDigits decimal digits (5x7 glyphs) in a black box with a
// marker-coloured border, so a test can find it in a frame or in a screenshot of the desktop
// (FindCounter) and read it back exactly. At scale s the box is 51s x 11s pixels: border s,
// padding s, 8 glyphs 5s wide with s between them, glyphs 7s high.
const CounterDigits = 8

// MarkerRGB is the colour of the counter box's border: not used by the colour bars.
var MarkerRGB = [3]byte{255, 0, 128}

var glyphs = [10][7]string{
	{"01110", "10001", "10011", "10101", "11001", "10001", "01110"},
	{"00100", "01100", "00100", "00100", "00100", "00100", "01110"},
	{"01110", "10001", "00001", "00010", "00100", "01000", "11111"},
	{"11111", "00010", "00100", "00010", "00001", "10001", "01110"},
	{"00010", "00110", "01010", "10010", "11111", "00010", "00010"},
	{"11111", "10000", "11110", "00001", "00001", "10001", "01110"},
	{"00110", "01000", "10000", "11110", "10001", "10001", "01110"},
	{"11111", "00001", "00010", "00100", "01000", "01000", "01000"},
	{"01110", "10001", "10001", "01110", "10001", "10001", "01110"},
	{"01110", "10001", "10001", "01111", "00001", "00010", "01100"},
}

// counterScale picks the glyph scale for a frame size (2 at 320x240, 6 at 1280x720).
func counterScale(w, h int) int {
	s := h / 120
	if s < 1 {
		s = 1
	}
	for s > 1 && 51*s+4*s > w {
		s--
	}
	return s
}

// drawCounter draws n into an RGBA frame at (2s, 2s).
func drawCounter(pix []byte, stride, w, h int, n uint64) {
	s := counterScale(w, h)
	x0, y0 := 2*s, 2*s
	bw, bh := 51*s, 11*s
	if x0+bw > w || y0+bh > h {
		return // the frame is too small to carry a counter
	}
	fill := func(x, y, cw, ch int, r, g, b byte) {
		for yy := y; yy < y+ch; yy++ {
			row := pix[yy*stride+4*x : yy*stride+4*(x+cw)]
			for i := 0; i < len(row); i += 4 {
				row[i], row[i+1], row[i+2], row[i+3] = r, g, b, 255
			}
		}
	}
	fill(x0, y0, bw, bh, MarkerRGB[0], MarkerRGB[1], MarkerRGB[2])
	fill(x0+s, y0+s, bw-2*s, bh-2*s, 0, 0, 0)
	var digits [CounterDigits]byte
	for i := CounterDigits - 1; i >= 0; i-- {
		digits[i] = byte(n % 10)
		n /= 10
	}
	for i, dg := range digits {
		gx := x0 + 2*s + i*6*s
		gy := y0 + 2*s
		for row, bits := range glyphs[dg] {
			for col, c := range bits {
				if c == '1' {
					fill(gx+col*s, gy+row*s, s, s, 255, 255, 255)
				}
			}
		}
	}
}

// FindCounter looks for the counter box anywhere in img (a frame, or a screenshot that shows
// one unscaled) and reads its number. ok is false when no readable counter is found.
func FindCounter(img *image.RGBA) (n uint64, ok bool) {
	b := img.Rect
	at := func(x, y int) (byte, byte, byte) {
		if x < b.Min.X || y < b.Min.Y || x >= b.Max.X || y >= b.Max.Y {
			return 0, 0, 0
		}
		o := img.PixOffset(x, y)
		return img.Pix[o], img.Pix[o+1], img.Pix[o+2]
	}
	isMarker := func(x, y int) bool {
		r, g, bl := at(x, y)
		return near(r, MarkerRGB[0]) && near(g, MarkerRGB[1]) && near(bl, MarkerRGB[2])
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !isMarker(x, y) || isMarker(x-1, y) || isMarker(x, y-1) {
				continue
			}
			run := 0
			for isMarker(x+run, y) {
				run++
			}
			if run < 51 || run%51 != 0 {
				continue
			}
			s := run / 51
			if n, ok := readCounter(x, y, s, at); ok {
				return n, true
			}
		}
	}
	return 0, false
}

func near(a, b byte) bool { return int(a)-int(b) < 40 && int(b)-int(a) < 40 }

func readCounter(x0, y0, s int, at func(x, y int) (byte, byte, byte)) (uint64, bool) {
	var n uint64
	for i := 0; i < CounterDigits; i++ {
		gx, gy := x0+2*s+i*6*s, y0+2*s
		digit := -1
		for d, g := range glyphs {
			match := true
			for row := 0; row < 7 && match; row++ {
				for col := 0; col < 5; col++ {
					r, gg, bl := at(gx+col*s+s/2, gy+row*s+s/2)
					white := r > 160 && gg > 160 && bl > 160
					if white != (g[row][col] == '1') {
						match = false
						break
					}
				}
			}
			if match {
				digit = d
				break
			}
		}
		if digit < 0 {
			return 0, false
		}
		n = n*10 + uint64(digit)
	}
	return n, true
}
