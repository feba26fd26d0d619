package shell

import (
	"image"
	"testing"

	"github.com/orbital/orbital/compositor"
)

func newTestDesktop(t *testing.T) (*compositor.Scene, *Desktop) {
	t.Helper()
	sc := compositor.NewScene()
	return sc, NewDesktop(sc, image.Rect(0, topBarH, 1280, 800-taskStripH))
}

func TestDesktopPlacesWindowsWithoutOverlap(t *testing.T) {
	sc, d := newTestDesktop(t)
	sizes := [][2]int{{320, 320}, {640, 448}, {300, 150}}
	for i, sz := range sizes {
		if _, err := sc.CreateSurface(uint32(i+1), "m", "M", sz[0], sz[1]); err != nil {
			t.Fatal(err)
		}
		added, _ := d.Sync()
		if len(added) != 1 {
			t.Fatalf("Sync after surface %d added %d windows, want 1", i, len(added))
		}
	}
	wins := d.Windows()
	for i, a := range wins {
		oa := frameGeom{a.Content()}.outer()
		if !oa.In(d.area) {
			t.Errorf("window %d frame %v leaves the desktop area %v", i, oa, d.area)
		}
		if a.Surface.Rect() != a.Content() {
			t.Errorf("window %d: surface at %v, frame content at %v", i, a.Surface.Rect(), a.Content())
		}
		for j, b := range wins[i+1:] {
			if ob := (frameGeom{b.Content()}).outer(); oa.Overlaps(ob) {
				t.Errorf("windows %d and %d overlap: %v and %v", i, i+1+j, oa, ob)
			}
		}
	}
	if d.Focused() != wins[len(wins)-1] {
		t.Errorf("the newest window should have the focus")
	}
}

func TestDesktopSameSyncAddsSeveral(t *testing.T) {
	sc, d := newTestDesktop(t)
	for i := range 3 {
		sc.CreateSurface(uint32(i+1), "m", "M", 300, 200)
	}
	added, _ := d.Sync()
	if len(added) != 3 {
		t.Fatalf("added %d, want 3", len(added))
	}
	a, b := frameGeom{added[0].Content()}.outer(), frameGeom{added[1].Content()}.outer()
	if a.Overlaps(b) {
		t.Fatalf("first two windows overlap: %v %v", a, b)
	}
}

func TestDesktopRemovesClosedAndRestacks(t *testing.T) {
	sc, d := newTestDesktop(t)
	s1, _ := sc.CreateSurface(1, "a", "A", 100, 100)
	s2, _ := sc.CreateSurface(2, "b", "B", 100, 100)
	d.Sync()
	fonts, err := LoadFonts(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Paint(fonts, nil, PartNone, false); err != nil {
		t.Fatal(err)
	}
	wins := d.Windows()
	d.Raise(wins[0])
	// Back to front in the Windows layer: frame b, surface b, frame a, surface a.
	var order []int
	for _, sf := range sc.Surfaces() {
		order = append(order, sf.ID)
	}
	want := []int{wins[1].deco.ID, s2.ID, wins[0].deco.ID, s1.ID}
	if len(order) != 4 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] || order[3] != want[3] {
		t.Fatalf("stacking %v, want %v", order, want)
	}
	s1.Close()
	_, removed := d.Sync()
	if len(removed) != 1 || removed[0].Surface != s1 {
		t.Fatalf("removed %v, want the window of s1", removed)
	}
	if len(sc.Surfaces()) != 2 {
		t.Fatalf("scene holds %d surfaces, want 2 (the frame of a closed window goes too)", len(sc.Surfaces()))
	}
	if d.Focused() != d.Windows()[0] {
		t.Fatalf("focus should pass to the remaining window")
	}
}

func TestFrameHitTest(t *testing.T) {
	g := frameGeom{content: image.Rect(100, 100, 300, 250)}
	cc := g.closeCenter()
	tests := []struct {
		p    image.Point
		want Part
	}{
		{image.Pt(150, 150), PartContent},
		{image.Pt(150, 100-titleBarH/2), PartTitle},
		{cc, PartClose},
		{image.Pt(299+frameSide, 249+frameBottom), PartResize},
		{image.Pt(302, 262), PartResize}, // just outside the corner still grabs the grip
		{image.Pt(99, 150), PartBorder},
		{image.Pt(50, 50), PartNone},
		{image.Pt(150, 250+frameBottom+10), PartNone},
	}
	for _, tt := range tests {
		if got := g.hit(tt.p); got != tt.want {
			t.Errorf("hit(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestWindowToSurfaceScales(t *testing.T) {
	sc, d := newTestDesktop(t)
	sf, _ := sc.CreateSurface(1, "a", "A", 200, 100)
	d.Sync()
	w := d.Windows()[0]
	d.Resize(w, 400, 200)
	c := w.Content()
	if c.Dx() != 400 || c.Dy() != 200 || sf.Rect() != c {
		t.Fatalf("content %v, surface shown at %v after resize, want both 400x200", c, sf.Rect())
	}
	if got, ok := w.ToSurface(c.Min.Add(image.Pt(100, 50))); got != image.Pt(50, 25) || !ok {
		t.Fatalf("ToSurface = %v %v, want (50,25) on a 2x scaled window", got, ok)
	}
	sf.Resize(400, 200) // the module follows: shown 1:1 again
	d.Sync()
	if got, _ := w.ToSurface(c.Min.Add(image.Pt(100, 50))); got != image.Pt(100, 50) {
		t.Fatalf("ToSurface = %v, want (100,50) once the module matches", got)
	}
}

func TestWindowLetterboxKeepsAspect(t *testing.T) {
	sc, d := newTestDesktop(t)
	sf, _ := sc.CreateSurface(1, "a", "A", 200, 100)
	d.Sync()
	w := d.Windows()[0]
	d.Resize(w, 400, 400)
	c := w.Content()
	want := image.Rect(c.Min.X, c.Min.Y+100, c.Min.X+400, c.Min.Y+300)
	if sf.Rect() != want {
		t.Fatalf("surface shown at %v, want %v (2x, centred, aspect kept)", sf.Rect(), want)
	}
	if got, ok := w.ToSurface(c.Min.Add(image.Pt(200, 200))); got != image.Pt(100, 50) || !ok {
		t.Fatalf("ToSurface(centre) = %v %v, want (100,50)", got, ok)
	}
	if _, ok := w.ToSurface(c.Min.Add(image.Pt(200, 20))); ok {
		t.Fatal("a point in the letterbox margin maps into the surface")
	}
	// Moving keeps the picture inside the frame.
	d.Move(w, c.Min.X+50, c.Min.Y+40)
	if got := sf.Rect(); got != want.Add(image.Pt(50, 40)) {
		t.Fatalf("after move the surface is at %v, want %v", got, want.Add(image.Pt(50, 40)))
	}
	// An idle desktop leaves the scene alone: following twice changes nothing.
	v := sc.Version()
	d.Sync()
	d.Sync()
	if sc.Version() != v {
		t.Fatal("Sync touched the scene although nothing changed (the shell would never sleep)")
	}
}

// TestWindowPixelBlocks: a surface shown as pixel blocks (a cart: 160x160 at 3x) gets a
// frame of its scaled size; resized smaller than that, it is fitted; once its module picks
// a scale that fits (2x), it is shown at that size, centred, as blocks; larger windows keep
// it at its size rather than blur it; pointer positions map to its own pixels.
func TestWindowPixelBlocks(t *testing.T) {
	sc, d := newTestDesktop(t)
	sf, _ := sc.CreateSurface(1, "cart", "cart", 160, 160)
	if err := sf.SetScale(3); err != nil {
		t.Fatal(err)
	}
	d.Sync()
	w := d.Windows()[0]
	if c := w.Content(); c.Dx() != 480 || c.Dy() != 480 || sf.Rect() != c {
		t.Fatalf("content %v, surface at %v, want both 480x480", c, sf.Rect())
	}
	d.Resize(w, 500, 340)
	c := w.Content()
	if got := sf.Rect().Size(); got != image.Pt(340, 340) {
		t.Fatalf("at 3x in a 500x340 window: shown %v, want fitted to 340x340", got)
	}
	if err := sf.SetScale(2); err != nil { // the cart follows the resize event
		t.Fatal(err)
	}
	d.Sync()
	want := image.Rect(c.Min.X+90, c.Min.Y+10, c.Min.X+410, c.Min.Y+330)
	if sf.Rect() != want {
		t.Fatalf("at 2x: shown at %v, want %v (320x320 centred)", sf.Rect(), want)
	}
	if got, ok := w.ToSurface(want.Min.Add(image.Pt(2*37+1, 2*90))); got != image.Pt(37, 90) || !ok {
		t.Fatalf("ToSurface = %v %v, want (37,90)", got, ok)
	}
	d.Resize(w, 600, 600)
	d.Sync()
	if got := sf.Rect().Size(); got != image.Pt(320, 320) {
		t.Fatalf("at 2x in a 600x600 window: shown %v, want 320x320 until the cart picks 3x", got)
	}
}

func TestDesktopToggleMaximize(t *testing.T) {
	sc, d := newTestDesktop(t)
	sc.CreateSurface(1, "a", "A", 300, 200)
	d.Sync()
	w := d.Windows()[0]
	before := w.Content()
	d.ToggleMaximize(w)
	if o := (frameGeom{w.Content()}).outer(); !o.In(d.area) || o.Dx() < d.area.Dx()-20 || o.Dy() < d.area.Dy()-20 {
		t.Fatalf("maximized frame %v does not fill the desktop area %v", o, d.area)
	}
	d.ToggleMaximize(w)
	if w.Content() != before {
		t.Fatalf("restored to %v, want %v", w.Content(), before)
	}
}

func TestNextWindow(t *testing.T) {
	a, b, c := &Window{}, &Window{}, &Window{}
	wins := []*Window{a, b, c}
	tests := []struct {
		cur  *Window
		back bool
		want *Window
	}{
		{a, false, b}, {c, false, a}, {a, true, c}, {b, true, a}, {nil, false, a},
	}
	for i, tt := range tests {
		if got := nextWindow(wins, tt.cur, tt.back); got != tt.want {
			t.Errorf("case %d: got window %p, want %p", i, got, tt.want)
		}
	}
	if nextWindow(nil, nil, false) != nil {
		t.Error("no windows: want nil")
	}
}
