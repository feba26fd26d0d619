package main

import (
	"image"
	"testing"
)

func TestParseHeader(t *testing.T) {
	h, err := parseHeader([]byte{64, 1, 0, 0, 240, 0, 0, 0, 9, 0, 0, 0})
	if err != nil || h != (frameHeader{320, 240, 9}) {
		t.Fatalf("%+v %v", h, err)
	}
	if _, err := parseHeader([]byte{1, 2, 3}); err == nil {
		t.Fatal("short header accepted")
	}
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	waiting(img)
	if img.Pix[0] != 40 || img.Pix[3] != 255 {
		t.Fatalf("waiting image %v", img.Pix[:4])
	}
}
