package canvas

import (
	"image"
	"image/color"
	"testing"
)

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
)

func canvas(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	Fill(img, img.Rect, white)
	return img
}

func TestFillClips(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	Fill(img, image.Rect(2, 2, 10, 10), black)
	if img.RGBAAt(3, 3) != black || img.RGBAAt(1, 1) != (color.RGBA{}) {
		t.Fatalf("fill: %v %v", img.RGBAAt(3, 3), img.RGBAAt(1, 1))
	}
}

func TestCircleCoverage(t *testing.T) {
	img := canvas(40, 40)
	Circle(img, 20.5, 20.5, 10, black)
	if got := img.RGBAAt(20, 20); got != black {
		t.Errorf("centre = %v, want black", got)
	}
	if got := img.RGBAAt(2, 2); got != white {
		t.Errorf("outside = %v, want white", got)
	}
	// A pixel whose centre sits on the edge is half covered: mid grey, the anti-aliasing.
	edge := img.RGBAAt(30, 20) // centre (30.5, 20.5): exactly on the edge
	if edge.R < 120 || edge.R > 135 {
		t.Errorf("edge pixel = %v, want a grey between", edge)
	}
}

func TestLineRoundCapsAndCoverage(t *testing.T) {
	img := canvas(50, 20)
	Line(img, 10, 10, 40, 10, 6, black)
	for _, p := range []image.Point{{10, 9}, {25, 9}, {39, 10}, {8, 9}} {
		if got := img.RGBAAt(p.X, p.Y); got != black {
			t.Errorf("pixel %v = %v, want black", p, got)
		}
	}
	for _, p := range []image.Point{{25, 2}, {25, 17}, {3, 10}, {47, 10}} {
		if got := img.RGBAAt(p.X, p.Y); got != white {
			t.Errorf("pixel %v = %v, want white", p, got)
		}
	}
}

func TestRingIsHollow(t *testing.T) {
	img := canvas(40, 40)
	Ring(img, 20, 20, 15, 2, black)
	if img.RGBAAt(20, 20) != white {
		t.Error("ring filled its centre")
	}
	if img.RGBAAt(34, 19).R > 128 {
		t.Errorf("ring edge pixel = %v, want dark", img.RGBAAt(34, 19))
	}
}

func TestClippedShapesDoNotPanic(t *testing.T) {
	img := canvas(10, 10)
	Circle(img, -50, -50, 10, black)
	Line(img, -5, -5, 100, 100, 3, black)
	Ring(img, 5, 5, 100, 4, black)
	sub := img.SubImage(image.Rect(2, 2, 6, 6)).(*image.RGBA)
	Circle(sub, 4, 4, 3, color.RGBA{255, 0, 0, 255})
	if img.RGBAAt(0, 9) != white {
		t.Error("sub-image drawing leaked outside its bounds")
	}
}

func TestBlendHalfAlpha(t *testing.T) {
	img := canvas(1, 1)
	Fill(img, img.Rect, black)
	p := img.Pix[:4]
	blend(p, color.RGBA{255, 255, 255, 255}, 0.5)
	if p[0] < 126 || p[0] > 129 || p[3] != 255 {
		t.Fatalf("blend = %v", p)
	}
}
