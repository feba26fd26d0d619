package camera

import (
	"image"
	"image/draw"
	"testing"
)

func TestCounterRoundTrip(t *testing.T) {
	for _, sz := range [][2]int{{320, 240}, {640, 480}, {1280, 720}, {160, 120}} {
		w, h := sz[0], sz[1]
		for _, n := range []uint64{0, 7, 12345678, 99999999, 4021} {
			img := image.NewRGBA(image.Rect(0, 0, w, h))
			Draw(img.Pix, img.Stride, w, h, n)
			got, ok := FindCounter(img)
			if !ok || got != n {
				t.Fatalf("%dx%d frame %d: read %d, %v", w, h, n, got, ok)
			}
			// The same frame inside a larger "screenshot", at an odd offset.
			shot := image.NewRGBA(image.Rect(0, 0, w+137, h+91))
			draw.Draw(shot, image.Rect(101, 53, 101+w, 53+h), img, image.Point{}, draw.Src)
			if got, ok := FindCounter(shot); !ok || got != n {
				t.Fatalf("%dx%d frame %d in a screenshot: read %d, %v", w, h, n, got, ok)
			}
		}
	}
	if _, ok := FindCounter(image.NewRGBA(image.Rect(0, 0, 100, 100))); ok {
		t.Fatal("counter found in a blank image")
	}
}

func TestPatternMoves(t *testing.T) {
	a := make([]byte, 4*64*48)
	b := make([]byte, 4*64*48)
	Draw(a, 256, 64, 48, 1)
	Draw(b, 256, 64, 48, 2)
	row := 47 * 256
	if string(a[row:row+256]) == string(b[row:row+256]) {
		t.Fatal("bars did not move between frames")
	}
}
