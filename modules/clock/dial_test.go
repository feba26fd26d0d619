package main

import (
	"flag"
	"image"
	"image/png"
	"os"
	"testing"
	"time"
)

var out = flag.String("png", "", "write one rendered frame to this PNG file to look at")

func render(t time.Time) *image.RGBA {
	img := drawDial()
	drawHands(img, t)
	return img
}

func TestClockFrames(t *testing.T) {
	at := time.Date(2026, 1, 2, 10, 8, 30, 0, time.UTC)
	a := render(at)
	b := render(at.Add(time.Second / 30))
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, a); err != nil {
			t.Fatal(err)
		}
	}
	diff := 0
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			diff++
		}
	}
	if diff == 0 {
		t.Fatal("frames 1/30 s apart are identical: the second hand does not sweep")
	}
	// At 10:08:30 the second hand points straight down: red below the centre, face colour above.
	if p := a.RGBAAt(cx, cy+80); p != red {
		t.Errorf("below the centre = %v, want the red second hand", p)
	}
	if p := a.RGBAAt(cx+40, cy+40); p != face {
		t.Errorf("empty face = %v, want %v", p, face)
	}
	if p := a.RGBAAt(2, 2); p != desk {
		t.Errorf("corner = %v, want the desk colour", p)
	}
}
