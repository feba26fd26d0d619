package compositor

import (
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testScene builds several overlapping surfaces, opaque and translucent, some clipped by the
// frame's edges and one hidden.
func testScene(t testing.TB) *Scene {
	t.Helper()
	s := NewScene()
	add := func(owner uint32, w, h, x, y int, b, a uint8) *Surface { return placed(t, s, owner, w, h, x, y, b, a) }
	bg := add(0, 320, 240, 0, 0, 40, 255)
	if err := bg.SetLayer(LayerBackground); err != nil {
		t.Fatal(err)
	}
	bg.SetOpaque(true)                // covers the frame: devices skip the clear
	add(1, 120, 90, 20, 30, 200, 100) // module surface: alpha ignored
	add(2, 150, 100, 80, 60, 10, 255)
	add(3, 100, 100, 260, 180, 90, 255) // clipped right and bottom
	add(0, 320, 24, 0, 0, 250, 160)     // translucent chrome bar
	add(0, 60, 60, 100, 80, 0, 128)     // translucent chrome over windows
	add(0, 50, 50, -20, 200, 255, 60)   // clipped left and bottom
	add(4, 50, 50, 150, 150, 0, 255).SetVisible(false)
	return s
}

// placed adds a w x h surface at (x, y) showing a gradient (blue b, alpha a).
func placed(t testing.TB, s *Scene, owner uint32, w, h, x, y int, b, a uint8) *Surface {
	t.Helper()
	sf := mustCreate(t, s, owner, w, h)
	sf.Move(x, y)
	if err := sf.Present(gradient(w, h, b, a), w*4); err != nil {
		t.Fatal(err)
	}
	return sf
}

// compareFrames counts pixels differing by more than tol in any channel.
func compareFrames(t testing.TB, got, want *image.RGBA, tol int) {
	t.Helper()
	if got.Rect.Size() != want.Rect.Size() {
		t.Fatalf("frame sizes differ: %v vs %v", got.Rect, want.Rect)
	}
	bad := 0
	for y := 0; y < want.Rect.Dy(); y++ {
		for x := 0; x < want.Rect.Dx(); x++ {
			g, w := got.RGBAAt(got.Rect.Min.X+x, got.Rect.Min.Y+y), want.RGBAAt(want.Rect.Min.X+x, want.Rect.Min.Y+y)
			if !near(g, w, tol) {
				if bad < 5 {
					t.Errorf("pixel (%d,%d): got %v, want %v", x, y, g, w)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d pixels differ by more than %d", bad, want.Rect.Dx()*want.Rect.Dy(), tol)
	}
}

// TestSoftwareGolden composes testScene and compares it with testdata/scene.png exactly;
// `go test -run Golden -update` rewrites the file after a deliberate change (look at it first).
func TestSoftwareGolden(t *testing.T) {
	sw := NewSoftware(320, 240)
	if err := sw.Compose(testScene(t), nil); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, sw.Frame(), filepath.Join("testdata", "scene.png"))
}

// readPNG decodes a golden file into an *image.RGBA.
func readPNG(t *testing.T, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test -run %s -update to create it)", err, t.Name())
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("golden file %s: %v", path, err)
	}
	want := image.NewRGBA(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			want.Set(x, y, img.At(x, y))
		}
	}
	return want
}
