package main

import "testing"

func TestFilters(t *testing.T) {
	w, h := 8, 6
	pix := make([]byte, w*h*4)
	for i := range pix {
		pix[i] = byte(i * 37)
	}
	orig := append([]byte(nil), pix...)
	Invert(pix)
	Invert(pix)
	for i := range pix {
		if pix[i] != orig[i] {
			t.Fatal("invert twice is not the identity")
		}
	}
	Grayscale(pix)
	for i := 0; i < len(pix); i += 4 {
		if pix[i] != pix[i+1] || pix[i] != pix[i+2] || pix[i+3] != orig[i+3] {
			t.Fatalf("pixel %d not gray: %v", i/4, pix[i:i+4])
		}
	}
	flat := make([]byte, w*h*4)
	for i := range flat {
		flat[i] = 90
	}
	Blur(flat, w, h, 3)
	for i, v := range flat {
		if v != 90 {
			t.Fatalf("blur of a flat image changed byte %d to %d", i, v)
		}
	}
	// A single white pixel spreads out and its neighbours get lighter.
	dot := make([]byte, w*h*4)
	c := (3*w + 4) * 4
	dot[c], dot[c+1], dot[c+2] = 255, 255, 255
	Blur(dot, w, h, 1)
	if dot[c] == 255 || dot[c] == 0 || dot[c+4] == 0 || dot[c-w*4] == 0 {
		t.Fatalf("blur did not spread the dot: centre %d right %d up %d", dot[c], dot[c+4], dot[c-w*4])
	}
}
