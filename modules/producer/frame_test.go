package main

import (
	"image"
	"testing"
)

func TestDraw(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for n := range 200 {
		draw(img, n)
		sq, bg := 0, 0
		for i := 0; i < len(img.Pix); i += 4 {
			switch {
			case img.Pix[i] == Square.R && img.Pix[i+1] == Square.G && img.Pix[i+2] == Square.B:
				sq++
			case img.Pix[i] == Background.R && img.Pix[i+1] == Background.G && img.Pix[i+2] == Background.B:
				bg++
			}
		}
		if sq != SquareSide*SquareSide || bg < 320*200 {
			t.Fatalf("frame %d: %d square pixels, %d background", n, sq, bg)
		}
	}
	if h := header(320, 240, 7); len(h) != HeaderSize || h[0] != 64 || h[1] != 1 || h[8] != 7 {
		t.Fatalf("header %v", h)
	}
}
