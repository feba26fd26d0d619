package main

import (
	"image"
	"image/color"

	"github.com/orbital/orbital/modules/sdk/canvas"
)

const (
	gridW, gridH = 128, 96
	scale        = 4
)

var (
	background = color.RGBA{0x12, 0x16, 0x1c, 0xff}
	gridLine   = color.RGBA{0x1a, 0x20, 0x28, 0xff}
	liveCell   = color.RGBA{0x7c, 0xe0, 0xa8, 0xff}
	pauseMark  = color.RGBA{0xf0, 0xf0, 0xf0, 0xff}
)

// Draw renders the world into img (gridW*scale x gridH*scale): each live cell a 3x3 square in
// its 4x4 tile, so the grid shows as thin dark lines; a pause sign in the top right corner when
// paused.
func Draw(img *image.RGBA, w *World, paused bool) {
	canvas.Fill(img, img.Rect, gridLine)
	for y := 0; y < w.H; y++ {
		for x := 0; x < w.W; x++ {
			c := background
			if w.Alive(x, y) {
				c = liveCell
			}
			canvas.Fill(img, image.Rect(x*scale, y*scale, x*scale+scale-1, y*scale+scale-1), c)
		}
	}
	if paused {
		r := img.Rect.Max.X - 28
		canvas.Fill(img, image.Rect(r, 8, r+6, 28), pauseMark)
		canvas.Fill(img, image.Rect(r+11, 8, r+17, 28), pauseMark)
	}
}

// CellAt is the grid cell under surface pixel (x, y).
func CellAt(x, y int) (int, int) { return x / scale, y / scale }
