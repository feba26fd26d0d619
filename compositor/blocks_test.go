package compositor

import (
	"image"
	"path/filepath"
	"testing"
)

// blocksScene shows surfaces as pixel blocks (Surface.SetScale): an opaque module window of
// distinct pixels at 3x, clipped by the frame's right edge; a translucent chrome surface at
// 2x over it; and for contrast the same window at 3x that the shell sized apart (bilinear).
func blocksScene(t testing.TB) (s *Scene, px *Surface) {
	t.Helper()
	s = NewScene()
	wall := placed(t, s, 0, 160, 120, 0, 0, 30, 255)
	if err := wall.SetLayer(LayerBackground); err != nil {
		t.Fatal(err)
	}
	wall.SetOpaque(true)
	px = placed(t, s, 1, 20, 12, 110, 10, 200, 255)
	mustScale(t, px, 3) // 60x36: 10 pixels off the right edge
	soft := placed(t, s, 2, 20, 12, 10, 60, 200, 255)
	mustScale(t, soft, 3)
	if err := soft.SetDisplaySize(50, 30); err != nil {
		t.Fatal(err)
	}
	glass := placed(t, s, 0, 12, 10, 100, 30, 90, 128)
	mustScale(t, glass, 2)
	return s, px
}

// TestSoftwareBlocks checks that every pixel of a surface at 3x is its source pixel, over the
// whole frame and when only a damaged rectangle cutting through blocks is redrawn, and
// compares the frame with testdata/blocks.png (-update rewrites it).
func TestSoftwareBlocks(t *testing.T) {
	s, px := blocksScene(t)
	sw := NewSoftware(160, 120)
	if err := sw.Compose(s, nil); err != nil {
		t.Fatal(err)
	}
	check := func(what string) {
		t.Helper()
		src := gradient(20, 12, 200, 255)
		f := sw.Frame()
		for y := 10; y < 30; y++ { // above the glass
			for x := 110; x < 160; x++ {
				o := ((y-10)/3*20 + (x-110)/3) * 4
				want := [4]byte{src[o], src[o+1], src[o+2], 0xff}
				if got := f.RGBAAt(x, y); [4]byte{got.R, got.G, got.B, got.A} != want {
					t.Fatalf("%s: pixel (%d,%d) = %v, want %v", what, x, y, got, want)
				}
			}
		}
	}
	check("full frame")
	compareGolden(t, sw.Frame(), filepath.Join("testdata", "blocks.png"))
	// A present redraws the window only, and the result is the same picture.
	presentGradient(t, px, 7)
	if err := px.Present(gradient(20, 12, 200, 255), 20*4); err != nil {
		t.Fatal(err)
	}
	if err := sw.Compose(s, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := sw.Damage().Bounds(), image.Rect(110, 10, 160, 46); got != want {
		t.Fatalf("damage %v, want %v", got, want)
	}
	check("redrawn window")
	compareGolden(t, sw.Frame(), filepath.Join("testdata", "blocks.png"))
}

func TestSetScaleBounds(t *testing.T) {
	s := NewScene()
	sf := mustCreate(t, s, 1, 1000, 10)
	for _, n := range []int{0, -1, MaxScale + 1, 9} { // 9: 9000 pixels wide, over MaxSize
		if err := sf.SetScale(n); err == nil {
			t.Errorf("SetScale(%d) of a 1000-pixel-wide surface: no error", n)
		}
	}
	mustScale(t, sf, 8)
	if w, h := sf.ScaledSize(); w != 8000 || h != 80 || sf.Rect().Dx() != 8000 {
		t.Fatalf("scaled size %dx%d, rect %v", w, h, sf.Rect())
	}
	if err := sf.Resize(2000, 10); err == nil {
		t.Error("Resize to 2000 wide at 8x: no error")
	}
	if err := sf.Resize(100, 20); err != nil || sf.Rect().Size() != image.Pt(800, 160) {
		t.Fatalf("Resize at 8x: %v, rect %v", err, sf.Rect())
	}
}
