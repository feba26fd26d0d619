package compositor

import (
	"errors"
	"image"
	"sync"
	"testing"
	"time"
)

func ids(sfs []*Surface) []int {
	out := make([]int, len(sfs))
	for i, sf := range sfs {
		out[i] = sf.ID
	}
	return out
}

func mustCreate(t testing.TB, s *Scene, owner uint32, w, h int) *Surface {
	t.Helper()
	sf, err := s.CreateSurface(owner, "m", "title", w, h)
	if err != nil {
		t.Fatalf("CreateSurface(%d, %dx%d): %v", owner, w, h, err)
	}
	return sf
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSceneOrder(t *testing.T) {
	s := NewScene()
	chrome := mustCreate(t, s, 0, 10, 10) // 1: chrome
	a := mustCreate(t, s, 7, 10, 10)      // 2: windows
	b := mustCreate(t, s, 8, 10, 10)      // 3: windows
	bg := mustCreate(t, s, 0, 10, 10)     // 4: chrome, moved to background below
	if err := bg.SetLayer(LayerBackground); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func()
		want []int
	}{
		{"created", func() {}, []int{bg.ID, a.ID, b.ID, chrome.ID}},
		{"raise a", func() { s.Raise(a.ID) }, []int{bg.ID, b.ID, a.ID, chrome.ID}},
		{"raise top is no-op", func() { s.Raise(chrome.ID) }, []int{bg.ID, b.ID, a.ID, chrome.ID}},
		{"raise unknown", func() { s.Raise(99) }, []int{bg.ID, b.ID, a.ID, chrome.ID}},
		{"raise background stays below windows", func() { s.Raise(bg.ID) }, []int{bg.ID, b.ID, a.ID, chrome.ID}},
		{"new window goes below chrome", func() { mustCreate(t, s, 9, 5, 5) }, []int{bg.ID, b.ID, a.ID, 5, chrome.ID}},
		{"remove b", func() { s.Remove(b.ID) }, []int{bg.ID, a.ID, 5, chrome.ID}},
		{"remove twice", func() { s.Remove(b.ID) }, []int{bg.ID, a.ID, 5, chrome.ID}},
		{"close a", func() { a.Close() }, []int{bg.ID, 5, chrome.ID}},
	}
	for _, st := range steps {
		st.do()
		if got := ids(s.Surfaces()); !equalInts(got, st.want) {
			t.Fatalf("%s: order %v, want %v", st.name, got, st.want)
		}
	}
	if err := a.Present(make([]byte, 400), 40); !errors.Is(err, ErrClosed) {
		t.Fatalf("Present after Close: %v, want ErrClosed", err)
	}
	if s.Lookup(a.ID) != nil || s.Lookup(5) == nil {
		t.Fatalf("Lookup after remove is wrong")
	}
}

func TestSceneDefaults(t *testing.T) {
	s := NewScene()
	m := mustCreate(t, s, 3, 20, 10)
	c := mustCreate(t, s, 0, 20, 10)
	if m.Layer() != LayerWindows || !m.Opaque() || !m.Visible() {
		t.Errorf("module surface: layer %v opaque %v visible %v", m.Layer(), m.Opaque(), m.Visible())
	}
	if c.Layer() != LayerChrome || c.Opaque() || c.Rect() != image.Rect(0, 0, 20, 10) {
		t.Errorf("chrome surface: layer %v opaque %v rect %v", c.Layer(), c.Opaque(), c.Rect())
	}
	if r := m.Rect(); r.Dx() != 20 || r.Dy() != 10 {
		t.Errorf("module rect %v, want size 20x10", r)
	}
	m.Move(100, 50)
	if r := m.Rect(); r != image.Rect(100, 50, 120, 60) {
		t.Errorf("after Move: %v", r)
	}
	if err := m.Resize(30, 40); err != nil {
		t.Fatal(err)
	}
	if r := m.Rect(); r != image.Rect(100, 50, 130, 90) {
		t.Errorf("after Resize: %v", r)
	}
	if err := m.SetDisplaySize(60, 80); err != nil {
		t.Fatal(err)
	}
	if err := m.Resize(10, 10); err != nil {
		t.Fatal(err)
	}
	if r := m.Rect(); r != image.Rect(100, 50, 160, 130) {
		t.Errorf("scaled surface after Resize: %v, want display size kept", r)
	}
	if w, h := m.Size(); w != 10 || h != 10 {
		t.Errorf("content size %dx%d", w, h)
	}
	if got := s.SurfaceAt(150, 120); got != m {
		t.Errorf("SurfaceAt(150,120) = %v, want the scaled module surface", got)
	}
	if got := s.SurfaceAt(5, 5); got != c {
		t.Errorf("SurfaceAt(5,5) = %v, want the chrome surface", got)
	}
	m.SetVisible(false)
	if got := s.SurfaceAt(110, 60); got != nil {
		t.Errorf("SurfaceAt hidden surface = %v", got)
	}
	if n := len(s.Snapshot().Items); n != 1 {
		t.Errorf("snapshot has %d items, want 1 (hidden surface left out)", n)
	}
}

func TestSizeBounds(t *testing.T) {
	s := NewScene()
	for _, sz := range [][2]int{{0, 1}, {1, 0}, {-1, 5}, {MaxSize + 1, 1}, {1, MaxSize + 1}} {
		if _, err := s.CreateSurface(1, "m", "t", sz[0], sz[1]); !errors.Is(err, ErrBadSize) {
			t.Errorf("CreateSurface %v: %v, want ErrBadSize", sz, err)
		}
	}
	sf := mustCreate(t, s, 1, 1, 1)
	if err := sf.Resize(0, 5); !errors.Is(err, ErrBadSize) {
		t.Errorf("Resize(0,5): %v", err)
	}
	if err := sf.Resize(MaxSize, 1); err != nil {
		t.Errorf("Resize(MaxSize,1): %v", err)
	}
	if len(s.Surfaces()) != 1 {
		t.Errorf("refused creates left surfaces behind")
	}
}

func TestPresentValidation(t *testing.T) {
	s := NewScene()
	sf := mustCreate(t, s, 1, 4, 3)
	cases := []struct {
		name   string
		n      int
		stride int
		ok     bool
	}{
		{"tight", 48, 16, true},
		{"padded stride", 20*2 + 16, 20, true},
		{"short stride", 48, 15, false},
		{"zero stride", 48, 0, false},
		{"short buffer", 47, 16, false},
		{"short padded", 20*2 + 15, 20, false},
		{"nil", 0, 16, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := sf.Present(make([]byte, c.n), c.stride)
			if c.ok && err != nil {
				t.Fatalf("Present: %v", err)
			}
			if !c.ok && !errors.Is(err, ErrBadStride) {
				t.Fatalf("Present: %v, want ErrBadStride", err)
			}
		})
	}
}

func TestPresentCopiesAndStride(t *testing.T) {
	s := NewScene()
	sf := mustCreate(t, s, 1, 2, 2)
	pix := []byte{
		1, 2, 3, 4, 5, 6, 7, 8, 99, 99, // row 0 + padding
		9, 10, 11, 12, 13, 14, 15, 16,
	}
	g0 := sf.Generation()
	if err := sf.Present(pix, 10); err != nil {
		t.Fatal(err)
	}
	pix[0] = 200 // the surface must hold its own copy
	sf.ReadPixels(func(got []byte, w, h int, gen uint64) {
		want := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
		if w != 2 || h != 2 || string(got) != string(want) {
			t.Errorf("front %dx%d %v, want %v", w, h, got, want)
		}
		if gen == g0 {
			t.Errorf("generation did not change on Present")
		}
	})
}

func TestChangedSignal(t *testing.T) {
	s := NewScene()
	drain := func() {
		for {
			select {
			case <-s.Changed():
			default:
				return
			}
		}
	}
	sf := mustCreate(t, s, 1, 2, 2)
	for _, c := range []struct {
		name string
		do   func()
	}{
		{"present", func() { sf.Present(make([]byte, 16), 8) }},
		{"move", func() { sf.Move(3, 3) }},
		{"title", func() { sf.SetTitle("x") }},
		{"hide", func() { sf.SetVisible(false) }},
		{"create", func() { mustCreate(t, s, 2, 1, 1) }},
		{"remove", func() { s.Remove(sf.ID) }},
	} {
		drain()
		v := s.Version()
		c.do()
		select {
		case <-s.Changed():
		default:
			t.Errorf("%s: no change signal", c.name)
		}
		if s.Version() == v {
			t.Errorf("%s: version unchanged", c.name)
		}
	}
	// Signals coalesce and never block the caller.
	for i := 0; i < 100; i++ {
		s.Lookup(2).Move(i, i)
	}
}

// TestConcurrentPresentCompose runs many presenters, each filling its surface with one value per
// frame, against a composer; every composed surface must show a whole frame (never torn). Run
// under -race.
func TestConcurrentPresentCompose(t *testing.T) {
	s := NewScene()
	const n, w, h, frames = 8, 64, 48, 200
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sf := mustCreate(t, s, uint32(i+1), w, h)
		sf.Move(i*20, i*10)
		wg.Add(1)
		go func() {
			defer wg.Done()
			pix := make([]byte, w*h*4)
			for f := 0; f < frames; f++ {
				v := byte(f)
				for j := range pix {
					pix[j] = v
				}
				if err := sf.Present(pix, w*4); err != nil {
					t.Errorf("present: %v", err)
					return
				}
				if f%50 == 0 {
					s.Raise(sf.ID)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	dev := NewSoftware(400, 300)
	composes := 0
	deadline := time.After(30 * time.Second)
	for loop := true; loop; {
		select {
		case <-done:
			loop = false
		case <-deadline:
			t.Fatal("presenters did not finish in 30s")
		case <-s.Changed():
		}
		for _, it := range s.Snapshot().Items {
			it.Surface.ReadPixels(func(pix []byte, w, h int, _ uint64) {
				for j := range pix {
					if pix[j] != pix[0] {
						t.Fatalf("surface %d torn: byte %d = %d, byte 0 = %d", it.Surface.ID, j, pix[j], pix[0])
					}
				}
			})
		}
		if err := dev.Compose(s, nil); err != nil {
			t.Fatal(err)
		}
		composes++
	}
	if composes == 0 {
		t.Fatal("composer never ran")
	}
	for _, sf := range s.Surfaces() {
		sf.ReadPixels(func(pix []byte, _, _ int, _ uint64) {
			if pix[0] != byte(frames-1) {
				t.Errorf("surface %d ends with frame %d, want %d", sf.ID, pix[0], frames-1)
			}
		})
	}
}

// TestCreateHiddenSurface: a surface created hidden is in the scene but not drawn until the
// shell shows it, and a Present meanwhile does not show it.
func TestCreateHiddenSurface(t *testing.T) {
	s := NewScene()
	sf, err := s.CreateHiddenSurface(7, "mod", "Mod", 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	if sf.Visible() || len(s.Snapshot().Items) != 0 || s.Lookup(sf.ID) != sf {
		t.Fatalf("hidden surface: visible %v, %d items drawn", sf.Visible(), len(s.Snapshot().Items))
	}
	if err := sf.Present(make([]byte, 4*4*4), 16); err != nil {
		t.Fatal(err)
	}
	if len(s.Snapshot().Items) != 0 {
		t.Fatal("a Present showed a hidden surface")
	}
	sf.SetVisible(true)
	if n := len(s.Snapshot().Items); n != 1 {
		t.Fatalf("%d items after SetVisible(true), want 1", n)
	}
}
