package compositor

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fill returns w*h premultiplied RGBA pixels of one colour.
func fill(w, h int, c color.RGBA) []byte {
	pix := make([]byte, w*h*4)
	for i := 0; i < len(pix); i += 4 {
		pix[i], pix[i+1], pix[i+2], pix[i+3] = c.R, c.G, c.B, c.A
	}
	return pix
}

func present(t testing.TB, sf *Surface, c color.RGBA) {
	t.Helper()
	w, h := sf.Size()
	if err := sf.Present(fill(w, h, c), w*4); err != nil {
		t.Fatal(err)
	}
}

func TestSoftwarePixels(t *testing.T) {
	s := NewScene()
	bg := color.RGBA{10, 20, 30, 255}
	red := mustCreate(t, s, 1, 40, 30)
	red.Move(10, 10)
	present(t, red, color.RGBA{200, 0, 0, 77}) // opaque surface: alpha ignored
	blue := mustCreate(t, s, 2, 40, 30)
	blue.Move(30, 20)
	present(t, blue, color.RGBA{0, 0, 200, 255})
	glass := mustCreate(t, s, 0, 20, 20) // chrome: premultiplied half-transparent white
	glass.Move(-5, -5)                   // clipped at the top-left edge
	present(t, glass, color.RGBA{128, 128, 128, 128})
	edge := mustCreate(t, s, 3, 30, 30) // clipped at the bottom-right edge
	edge.Move(90, 70)
	present(t, edge, color.RGBA{0, 255, 0, 255})
	hidden := mustCreate(t, s, 4, 100, 100)
	hidden.Move(0, 0)
	present(t, hidden, color.RGBA{255, 255, 0, 255})
	hidden.SetVisible(false)

	d := NewSoftware(100, 80)
	d.Background = bg
	if err := d.Compose(s, nil); err != nil {
		t.Fatal(err)
	}
	f := d.Frame()
	over := func(src, dst uint8, a uint8) uint8 { return uint8(int(src) + int(dst)*(255-int(a))/255) }
	cases := []struct {
		x, y int
		want color.RGBA
	}{
		{0, 79, bg},                          // background
		{15, 15, color.RGBA{200, 0, 0, 255}}, // red, alpha forced
		{35, 25, color.RGBA{0, 0, 200, 255}}, // blue over red
		{69, 49, color.RGBA{0, 0, 200, 255}}, // blue's last pixel
		{70, 50, bg},                         // just outside blue
		{49, 15, color.RGBA{200, 0, 0, 255}}, // red right of blue's left edge... above blue
		{2, 2, color.RGBA{over(128, 10, 128), over(128, 20, 128), over(128, 30, 128), 255}},  // glass over background
		{12, 12, color.RGBA{over(128, 200, 128), over(128, 0, 128), over(128, 0, 128), 255}}, // glass over red
		{99, 79, color.RGBA{0, 255, 0, 255}},                                                 // clipped green
		{89, 79, bg},
	}
	for _, c := range cases {
		got := f.RGBAAt(c.x, c.y)
		if !near(got, c.want, 1) {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}

func near(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) bool { v := int(x) - int(y); return v <= tol && v >= -tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func TestSoftwareScaledAndOffsetFrame(t *testing.T) {
	s := NewScene()
	sf := mustCreate(t, s, 1, 10, 10)
	sf.Move(0, 0)
	present(t, sf, color.RGBA{0, 100, 0, 255})
	if err := sf.SetDisplaySize(40, 20); err != nil {
		t.Fatal(err)
	}
	// A destination whose bounds do not start at (0,0): its Min is desktop (0,0).
	dst := image.NewRGBA(image.Rect(5, 5, 55, 35))
	d := NewSoftware(0, 0)
	if err := d.Compose(s, dst); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		x, y int
		want color.RGBA
	}{
		{5, 5, color.RGBA{0, 100, 0, 255}},
		{44, 24, color.RGBA{0, 100, 0, 255}},
		{45, 24, DefaultBackground},
		{44, 25, DefaultBackground},
	} {
		if got := dst.RGBAAt(c.x, c.y); !near(got, c.want, 1) {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}

func TestSoftwareRecomposesOnlyOnChange(t *testing.T) {
	s := NewScene()
	sf := mustCreate(t, s, 1, 4, 4)
	sf.Move(0, 0)
	d := NewSoftware(8, 8)
	if err := d.Compose(s, nil); err != nil {
		t.Fatal(err)
	}
	f := d.Frame()
	scribble := color.RGBA{1, 2, 3, 255}
	f.SetRGBA(6, 6, scribble) // outside the surface
	f.SetRGBA(2, 2, scribble) // inside it
	d.Compose(s, nil)
	if got := f.RGBAAt(6, 6); got != scribble || len(d.Damage()) != 0 {
		t.Fatalf("unchanged scene was redrawn (damage %v)", d.Damage())
	}
	present(t, sf, color.RGBA{9, 9, 9, 255})
	d.Compose(s, nil)
	if got := f.RGBAAt(1, 1); got != (color.RGBA{9, 9, 9, 255}) {
		t.Fatalf("new content missing: %v", got)
	}
	if got := f.RGBAAt(2, 2); got != (color.RGBA{9, 9, 9, 255}) {
		t.Fatalf("the damaged surface was not redrawn whole: %v", got)
	}
	if got := f.RGBAAt(6, 6); got != scribble {
		t.Fatalf("a Present redrew pixels outside the surface: %v", got)
	}
	if want := (Region{image.Rect(0, 0, 4, 4)}); !slices.Equal(d.Damage(), want) {
		t.Fatalf("damage %v, want %v", d.Damage(), want)
	}
	d.Invalidate()
	d.Compose(s, nil)
	if got := f.RGBAAt(6, 6); got != DefaultBackground {
		t.Fatalf("after Invalidate the frame was not redrawn whole: %v", got)
	}
}

func TestWritePNG(t *testing.T) {
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.SetRGBA(2, 1, color.RGBA{1, 2, 3, 255})
	path := filepath.Join(dir, "shot.png")
	if err := WritePNG(img, path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b, _ := got.At(2, 1).RGBA(); r>>8 != 1 || g>>8 != 2 || b>>8 != 3 {
		t.Errorf("decoded pixel %v", got.At(2, 1))
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
	if err := WritePNG(img, filepath.Join(dir, "no", "such", "dir.png")); err == nil {
		t.Errorf("WritePNG into a missing directory succeeded")
	}
}

func TestSetAlpha(t *testing.T) {
	for n := 0; n <= 5; n++ { // pixel counts, odd and even, to reach the tail
		row := make([]byte, n*4)
		for i := range row {
			row[i] = byte(i + 1)
		}
		setAlpha(row)
		for i := range row {
			want := byte(i + 1)
			if i%4 == 3 {
				want = 0xff
			}
			if row[i] != want {
				t.Fatalf("%d pixels: byte %d = %d, want %d", n, i, row[i], want)
			}
		}
	}
}

// gradient returns w x h premultiplied pixels: red grows left to right, green top to bottom,
// blue is fixed, alpha is a. Orientation mistakes (a flipped texture) show up at once.
func gradient(w, h int, b, a uint8) []byte {
	pix := make([]byte, w*h*4)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y*w + x) * 4
			r, g := uint8(x*255/max(w-1, 1)), uint8(y*255/max(h-1, 1))
			// premultiply
			pix[i] = uint8(int(r) * int(a) / 255)
			pix[i+1] = uint8(int(g) * int(a) / 255)
			pix[i+2] = uint8(int(b) * int(a) / 255)
			pix[i+3] = a
		}
	}
	return pix
}
