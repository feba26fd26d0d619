package main

import (
	"encoding/binary"
	"image"
	"image/color"
)

// Colours of a frame; the end-to-end test looks for them in the viewer's window.
var (
	Background = color.RGBA{20, 120, 200, 255}
	Square     = color.RGBA{255, 0, 255, 255}
)

// SquareSide is the side of the moving square in pixels.
const SquareSide = 40

// draw paints frame n: a flat background, a horizontal band whose shade follows n, and a
// square bouncing left and right.
func draw(img *image.RGBA, n int) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		c := Background
		if y >= h-16 { // progress band: its shade changes every frame
			c = color.RGBA{uint8(n * 4), uint8(255 - n*4), 60, 255}
		}
		for x := 0; x < w; x++ {
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, c.A
		}
	}
	span := w - SquareSide
	if span <= 0 {
		return
	}
	pos := (n * 4) % (2 * span)
	if pos > span {
		pos = 2*span - pos
	}
	top := (h - 16 - SquareSide) / 2
	for y := max(top, 0); y < min(top+SquareSide, h); y++ {
		for x := pos; x < pos+SquareSide; x++ {
			i := y*img.Stride + 4*x
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = Square.R, Square.G, Square.B, Square.A
		}
	}
}

// HeaderSize is the size of the frame header published with each region: width, height and
// frame number, little-endian u32s.
const HeaderSize = 12

func header(w, h, n int) []byte {
	b := make([]byte, HeaderSize)
	binary.LittleEndian.PutUint32(b[0:], uint32(w))
	binary.LittleEndian.PutUint32(b[4:], uint32(h))
	binary.LittleEndian.PutUint32(b[8:], uint32(n))
	return b
}
