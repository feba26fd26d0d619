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

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func TestClockFrames(t *testing.T) {
	c := NewClock(size, size)
	at := time.Date(2026, 1, 2, 10, 8, 30, 0, time.UTC)
	a := image.NewRGBA(c.dial.Rect)
	copy(a.Pix, c.Frame(at).Pix)
	b := c.Frame(at.Add(time.Second / 30))
	if *out != "" {
		writePNG(t, *out, a)
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
	// At 10:08:30 the second hand points straight down: red below the centre.
	if p := a.RGBAAt(size/2, size/2+80); p != red {
		t.Errorf("below the centre = %v, want the red second hand", p)
	}
	if p := a.RGBAAt(size/2+40, size/2+40); p != face {
		t.Errorf("empty face = %v, want %v", p, face)
	}
	if p := a.RGBAAt(2, 2); p != desk {
		t.Errorf("corner = %v, want the desk colour", p)
	}
}

func TestClockScalesWithTheWindow(t *testing.T) {
	c := NewClock(600, 400)
	img := c.Frame(time.Date(2026, 1, 2, 10, 8, 30, 0, time.UTC))
	if img.Rect.Dx() != 600 || img.Rect.Dy() != 400 {
		t.Fatalf("frame is %v", img.Rect)
	}
	// Centred in the wide window: desk at the sides, face left and right of the centre, and
	// the second hand still straight down.
	if img.RGBAAt(50, 200) != desk || img.RGBAAt(300-100, 200-60) != face || img.RGBAAt(300, 300) != red {
		t.Errorf("layout: side %v, face %v, hand %v", img.RGBAAt(50, 200), img.RGBAAt(200, 140), img.RGBAAt(300, 300))
	}
	if *out != "" {
		writePNG(t, *out+".wide.png", img)
	}
}
