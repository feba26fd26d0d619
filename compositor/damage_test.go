package compositor

import (
	"image"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRegionAdd(t *testing.T) {
	r := image.Rect
	tests := []struct {
		name string
		add  []image.Rectangle
		want Region
	}{
		{"empty ignored", []image.Rectangle{{}, r(5, 5, 5, 9)}, nil},
		{"disjoint kept apart", []image.Rectangle{r(0, 0, 10, 10), r(20, 0, 30, 10)}, Region{r(0, 0, 10, 10), r(20, 0, 30, 10)}},
		{"touching kept apart", []image.Rectangle{r(0, 0, 10, 10), r(10, 0, 20, 10)}, Region{r(0, 0, 10, 10), r(10, 0, 20, 10)}},
		{"overlap merged", []image.Rectangle{r(0, 0, 10, 10), r(5, 5, 15, 15)}, Region{r(0, 0, 15, 15)}},
		{"contained absorbed", []image.Rectangle{r(0, 0, 10, 10), r(2, 2, 4, 4)}, Region{r(0, 0, 10, 10)}},
		// The merge of the third with the first overlaps the second: all three become one.
		{"merge cascades", []image.Rectangle{r(0, 0, 10, 10), r(20, 8, 30, 20), r(5, 5, 21, 9)}, Region{r(0, 0, 30, 20)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g Region
			for _, a := range tt.add {
				g = g.Add(a)
			}
			if !slices.Equal(g, tt.want) {
				t.Fatalf("got %v, want %v", g, tt.want)
			}
		})
	}
	var many Region
	for i := range maxDamageRects + 1 {
		many = many.Add(r(i*10, 0, i*10+5, 5))
	}
	if want := (Region{r(0, 0, maxDamageRects*10+5, 5)}); !slices.Equal(many, want) {
		t.Fatalf("past %d rectangles: %v, want the bounding box %v", maxDamageRects, many, want)
	}
}

func TestReordered(t *testing.T) {
	a, b, c, d := &Surface{ID: 1}, &Surface{ID: 2}, &Surface{ID: 3}, &Surface{ID: 4}
	tests := []struct {
		name       string
		from, to   []*Surface
		wantMoved  int
		mustInclud *Surface
	}{
		{"same", []*Surface{a, b, c, d}, []*Surface{a, b, c, d}, 0, nil},
		{"bottom raised to top", []*Surface{a, b, c, d}, []*Surface{b, c, d, a}, 1, a},
		{"top lowered to bottom", []*Surface{a, b, c, d}, []*Surface{d, a, b, c}, 1, d},
		{"two swapped", []*Surface{a, b, c, d}, []*Surface{a, c, b, d}, 1, nil},
		{"reversed", []*Surface{a, b, c, d}, []*Surface{d, c, b, a}, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reordered(tt.from, tt.to)
			if len(got) != tt.wantMoved {
				t.Fatalf("moved %d surfaces, want %d", len(got), tt.wantMoved)
			}
			if tt.mustInclud != nil && !slices.Contains(got, tt.mustInclud) {
				t.Fatalf("moved %v, want it to hold surface %d", got, tt.mustInclud.ID)
			}
			// Every pair whose order flipped has a member among the moved.
			pos := func(s []*Surface, x *Surface) int { return slices.Index(s, x) }
			for _, x := range tt.from {
				for _, y := range tt.from {
					flipped := pos(tt.from, x) < pos(tt.from, y) && pos(tt.to, x) > pos(tt.to, y)
					if flipped && !slices.Contains(got, x) && !slices.Contains(got, y) {
						t.Fatalf("surfaces %d and %d changed order and neither is damaged", x.ID, y.ID)
					}
				}
			}
		})
	}
}

// damageScene is the scene the damage sequences change: a wallpaper covering the frame,
// overlapping module windows, a scaled one, translucent chrome and a hidden prompt.
type damageScene struct {
	s                  *Scene
	wall, a, b, c, d   *Surface
	bar, prompt, extra *Surface
	px, glass          *Surface // shown as pixel blocks (SetScale), for a while
}

func newDamageScene(t testing.TB) *damageScene {
	t.Helper()
	s := NewScene()
	add := func(owner uint32, w, h, x, y int, b, a uint8) *Surface { return placed(t, s, owner, w, h, x, y, b, a) }
	ds := &damageScene{s: s}
	ds.wall = add(0, 320, 240, 0, 0, 30, 255)
	if err := ds.wall.SetLayer(LayerBackground); err != nil {
		t.Fatal(err)
	}
	ds.wall.SetOpaque(true)
	ds.a = add(1, 100, 80, 20, 40, 200, 120) // module: alpha ignored
	ds.b = add(2, 90, 70, 90, 70, 60, 255)
	ds.c = add(3, 80, 60, 260, 200, 120, 255) // clipped by the frame's corner
	ds.d = add(4, 40, 30, 180, 30, 90, 255)
	if err := ds.d.SetDisplaySize(70, 50); err != nil { // scaled bilinearly
		t.Fatal(err)
	}
	ds.bar = add(0, 320, 24, 0, 0, 250, 160)      // translucent chrome
	ds.prompt = add(0, 120, 70, 100, 60, 20, 140) // translucent chrome over windows
	ds.prompt.SetVisible(false)
	return ds
}

type damageStep struct {
	name string
	do   func(t testing.TB, ds *damageScene)
	// want is the damage's bounding box in desktop pixels; the zero rectangle for no damage,
	// full for the whole frame.
	want image.Rectangle
}

var full = image.Rect(0, 0, 320, 240)

// damageSteps change the scene one way at a time: content, move, resize, scale, overlap,
// z-order, visibility, close, chrome, opacity, a new window, nothing at all.
var damageSteps = []damageStep{
	{"first frame", func(testing.TB, *damageScene) {}, full},
	{"nothing changed", func(testing.TB, *damageScene) {}, image.Rectangle{}},
	{"present a", func(t testing.TB, ds *damageScene) { presentGradient(t, ds.a, 17) }, image.Rect(20, 40, 120, 120)},
	{"move b over a", func(t testing.TB, ds *damageScene) { ds.b.Move(60, 60) }, image.Rect(60, 60, 180, 140)},
	// Only a moved in the stacking order: what changes lies inside it.
	{"raise a over b", func(t testing.TB, ds *damageScene) { ds.s.Raise(ds.a.ID) }, image.Rect(20, 40, 120, 120)},
	{"resize c", func(t testing.TB, ds *damageScene) {
		if err := ds.c.Resize(50, 30); err != nil {
			t.Fatal(err)
		}
		presentGradient(t, ds.c, 99)
	}, image.Rect(260, 200, 320, 240)},
	{"scale d", func(t testing.TB, ds *damageScene) {
		if err := ds.d.SetDisplaySize(90, 60); err != nil {
			t.Fatal(err)
		}
	}, image.Rect(180, 30, 270, 90)},
	{"present scaled d", func(t testing.TB, ds *damageScene) { presentGradient(t, ds.d, 5) }, image.Rect(180, 30, 270, 90)},
	// A window shown as pixel blocks: 20x10 at 3x, then 2x; the shell sizing it apart; its
	// scale changing under the shell's size (bilinear to blocks: only the filter changes);
	// the shell giving the size back (nothing to redraw); resized; closed.
	{"pixel window at 3x", func(t testing.TB, ds *damageScene) {
		ds.px = mustCreate(t, ds.s, 8, 20, 10)
		ds.px.Move(20, 150)
		mustScale(t, ds.px, 3)
		presentGradient(t, ds.px, 66)
	}, image.Rect(20, 150, 80, 180)},
	{"present pixel window", func(t testing.TB, ds *damageScene) { presentGradient(t, ds.px, 67) }, image.Rect(20, 150, 80, 180)},
	{"pixel window at 2x", func(t testing.TB, ds *damageScene) { mustScale(t, ds.px, 2) }, image.Rect(20, 150, 80, 180)},
	{"shell sizes the pixel window", func(t testing.TB, ds *damageScene) {
		if err := ds.px.SetDisplaySize(60, 30); err != nil {
			t.Fatal(err)
		}
	}, image.Rect(20, 150, 80, 180)},
	{"pixel window at 3x under the shell's size", func(t testing.TB, ds *damageScene) { mustScale(t, ds.px, 3) }, image.Rect(20, 150, 80, 180)},
	{"shell gives the size back", func(t testing.TB, ds *damageScene) {
		if err := ds.px.SetDisplaySize(0, 0); err != nil {
			t.Fatal(err)
		}
	}, image.Rectangle{}},
	{"translucent chrome at 2x over d", func(t testing.TB, ds *damageScene) {
		ds.glass = mustCreate(t, ds.s, 0, 15, 9)
		ds.glass.Move(230, 70)
		mustScale(t, ds.glass, 2)
		if err := ds.glass.Present(gradient(15, 9, 200, 100), 15*4); err != nil {
			t.Fatal(err)
		}
	}, image.Rect(230, 70, 260, 88)},
	{"resize pixel window", func(t testing.TB, ds *damageScene) {
		if err := ds.px.Resize(10, 10); err != nil {
			t.Fatal(err)
		}
		presentGradient(t, ds.px, 70)
	}, image.Rect(20, 150, 80, 180)},
	{"close the pixel surfaces", func(t testing.TB, ds *damageScene) {
		ds.px.Close()
		ds.glass.Close()
	}, image.Rect(20, 70, 260, 180)},
	{"show prompt", func(t testing.TB, ds *damageScene) { ds.prompt.SetVisible(true) }, image.Rect(100, 60, 220, 130)},
	{"chrome bar changes", func(t testing.TB, ds *damageScene) { presentGradient(t, ds.bar, 40) }, image.Rect(0, 0, 320, 24)},
	{"move a under the prompt", func(t testing.TB, ds *damageScene) { ds.a.Move(110, 80) }, image.Rect(20, 40, 210, 160)},
	{"hide b", func(t testing.TB, ds *damageScene) { ds.b.SetVisible(false) }, image.Rect(60, 60, 150, 130)},
	{"show b", func(t testing.TB, ds *damageScene) { ds.b.SetVisible(true) }, image.Rect(60, 60, 150, 130)},
	{"close c", func(t testing.TB, ds *damageScene) { ds.c.Close() }, image.Rect(260, 200, 310, 230)},
	{"a half off the frame", func(t testing.TB, ds *damageScene) { ds.a.Move(-50, 190) }, image.Rect(0, 80, 210, 240)},
	{"new window", func(t testing.TB, ds *damageScene) {
		ds.extra = mustCreate(t, ds.s, 9, 60, 40)
		ds.extra.Move(200, 150)
		if err := ds.extra.Present(gradient(60, 40, 180, 128), 60*4); err != nil { // translucent
			t.Fatal(err)
		}
	}, image.Rect(200, 150, 260, 190)},
	{"window blended (shows its alpha)", func(t testing.TB, ds *damageScene) { ds.extra.SetOpaque(false) }, image.Rect(200, 150, 260, 190)},
	{"raise b from the bottom", func(t testing.TB, ds *damageScene) { ds.s.Raise(ds.b.ID) }, image.Rect(60, 60, 150, 130)},
	{"hide prompt and move b", func(t testing.TB, ds *damageScene) {
		ds.prompt.SetVisible(false)
		ds.b.Move(150, 100)
	}, image.Rect(60, 60, 240, 170)},
	{"wallpaper changes", func(t testing.TB, ds *damageScene) { presentGradient(t, ds.wall, 77) }, full},
}

func mustScale(t testing.TB, sf *Surface, n int) {
	t.Helper()
	if err := sf.SetScale(n); err != nil {
		t.Fatal(err)
	}
}

func presentGradient(t testing.TB, sf *Surface, b uint8) {
	t.Helper()
	w, h := sf.Size()
	if err := sf.Present(gradient(w, h, b, 255), w*4); err != nil {
		t.Fatal(err)
	}
}

// checkDamage compares a step's damage (desktop pixels) with what it should be.
func checkDamage(t testing.TB, st damageStep, got Region) {
	t.Helper()
	if b := got.Bounds(); b != st.want {
		t.Errorf("%s: damage %v (bounds %v), want bounds %v", st.name, got, b, st.want)
	}
}

// TestSoftwareDamageMatchesFullRedraw runs the damage sequence on a software device that
// redraws only what changed and, at every step, compares its frame exactly with a full redraw
// of the same scene. The last frame is also compared with testdata/damage.png (-update
// rewrites it).
func TestSoftwareDamageMatchesFullRedraw(t *testing.T) {
	ds := newDamageScene(t)
	inc, ref := NewSoftware(320, 240), NewSoftware(320, 240)
	for _, st := range damageSteps {
		st.do(t, ds)
		if err := inc.Compose(ds.s, nil); err != nil {
			t.Fatal(err)
		}
		checkDamage(t, st, inc.Damage())
		ref.Invalidate()
		if err := ref.Compose(ds.s, nil); err != nil {
			t.Fatal(err)
		}
		t.Run(st.name, func(t *testing.T) { compareFrames(t, inc.Frame(), ref.Frame(), 0) })
	}
	compareGolden(t, inc.Frame(), filepath.Join("testdata", "damage.png"))
}

// compareGolden compares frame with the PNG at path exactly; -update rewrites the file first.
func compareGolden(t *testing.T, frame *image.RGBA, path string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := WritePNG(frame, path); err != nil {
			t.Fatal(err)
		}
	}
	compareFrames(t, frame, readPNG(t, path), 0)
}
