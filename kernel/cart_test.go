package kernel

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/wasm4"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// cartPrelude wraps a test cart's body (testdata/wasm4/*.wat or a string): the console's
// memory and every WASM-4 import, and $ready, which a cart calls at the end of each update and
// which traces "ready" once, at the 30th frame, when the cart's picture is final (its string
// and counter sit at 0x19a0, just past the framebuffer).
const cartPrelude = `(module
  (import "env" "memory" (memory 1 1))
  (import "env" "blit" (func $blit (param i32 i32 i32 i32 i32 i32)))
  (import "env" "blitSub" (func $blitSub (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "env" "line" (func $line (param i32 i32 i32 i32)))
  (import "env" "hline" (func $hline (param i32 i32 i32)))
  (import "env" "vline" (func $vline (param i32 i32 i32)))
  (import "env" "oval" (func $oval (param i32 i32 i32 i32)))
  (import "env" "rect" (func $rect (param i32 i32 i32 i32)))
  (import "env" "text" (func $text (param i32 i32 i32)))
  (import "env" "textUtf8" (func $textUtf8 (param i32 i32 i32 i32)))
  (import "env" "textUtf16" (func $textUtf16 (param i32 i32 i32 i32)))
  (import "env" "tone" (func $tone (param i32 i32 i32 i32)))
  (import "env" "diskr" (func $diskr (param i32 i32) (result i32)))
  (import "env" "diskw" (func $diskw (param i32 i32) (result i32)))
  (import "env" "trace" (func $trace (param i32)))
  (import "env" "traceUtf8" (func $traceUtf8 (param i32 i32)))
  (import "env" "traceUtf16" (func $traceUtf16 (param i32 i32)))
  (import "env" "tracef" (func $tracef (param i32 i32)))
  (data (i32.const 0x19a0) "ready\00")
  (func $ready
    (local $n i32)
    (local.set $n (i32.add (i32.load (i32.const 0x19b0)) (i32.const 1)))
    (i32.store (i32.const 0x19b0) (local.get $n))
    (if (i32.eq (local.get $n) (i32.const 30)) (then (call $trace (i32.const 0x19a0)))))
`

// cartWasm compiles a test cart body.
func cartWasm(t testing.TB, body string) []byte {
	t.Helper()
	wasm, err := wasmtime.Wat2Wasm(cartPrelude + body + ")")
	if err != nil {
		t.Fatalf("wat2wasm: %v", err)
	}
	return wasm
}

func loadCart(t testing.TB, k *Kernel, name, body string) *Module {
	t.Helper()
	m, err := k.Load(name, name+".wasm", cartWasm(t, body))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	if m.Kind != KindCart {
		t.Fatalf("%s: kind %q, want %q", name, m.Kind, KindCart)
	}
	return m
}

// frameDisplay keeps the last picture presented to each surface.
type frameDisplay struct {
	mu     sync.Mutex
	frames map[string]*image.RGBA // by title
	count  map[string]int
	scales map[string]int // by title: what a scalingDisplay's surfaces were told
}

func newFrameDisplay() *frameDisplay {
	return &frameDisplay{frames: map[string]*image.RGBA{}, count: map[string]int{}, scales: map[string]int{}}
}

func (d *frameDisplay) CreateSurface(o SurfaceOwner, title string, w, h int) (Surface, error) {
	return &frameSurface{d: d, title: title, w: w, h: h}, nil
}

func (d *frameDisplay) last(title string) (*image.RGBA, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.frames[title], d.count[title]
}

type frameSurface struct {
	d     *frameDisplay
	title string
	w, h  int
}

func (s *frameSurface) Present(pix []byte, stride int) error {
	img := image.NewRGBA(image.Rect(0, 0, s.w, s.h))
	for y := range s.h {
		copy(img.Pix[y*img.Stride:(y+1)*img.Stride], pix[y*stride:])
	}
	s.d.mu.Lock()
	s.d.frames[s.title] = img
	s.d.count[s.title]++
	s.d.mu.Unlock()
	return nil
}

func (s *frameSurface) Resize(w, h int) error { s.w, s.h = w, h; return nil }
func (s *frameSurface) Close()                {}

// cartRig is a kernel with a frame display and a log the tests read.
type cartRig struct {
	k    *Kernel
	d    *frameDisplay
	logs *logSink
}

func newCartRig(t testing.TB, home string) *cartRig {
	r := &cartRig{d: newFrameDisplay(), logs: &logSink{}}
	r.k = newKernel(t, Config{AllowAll: true, Home: home, Display: r.d, Log: r.logs.log})
	return r
}

// runUntilReady starts a cart and waits for its "ready" trace (its picture is final).
func (r *cartRig) runUntilReady(t testing.TB, m *Module, o SpawnOptions) *Process {
	t.Helper()
	o.UI = true
	p, err := r.k.Spawn(m, o)
	if err != nil {
		t.Fatalf("spawn %s: %v", m.Name, err)
	}
	t.Cleanup(func() { r.k.Kill(p.PID(), true) })
	testenv.Eventually(t, func() bool {
		return strings.Contains(r.logs.String(), m.Name+": ready")
	}, 10*time.Second, m.Name+` traces "ready"`)
	return p
}

// checkGolden compares img with testdata/wasm4/NAME.png (rewritten with -update).
func checkGolden(t *testing.T, name string, img *image.RGBA) {
	t.Helper()
	path := filepath.Join("testdata", "wasm4", name+".png")
	if *update {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("%s: size %v, golden %v", name, img.Bounds(), want.Bounds())
	}
	bad := 0
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			r1, g1, b1, _ := want.At(x, y).RGBA()
			c := img.RGBAAt(x, y)
			if uint8(r1>>8) != c.R || uint8(g1>>8) != c.G || uint8(b1>>8) != c.B {
				if bad < 5 {
					t.Errorf("%s: pixel (%d,%d) is %v, golden has %02x%02x%02x", name, x, y, c, r1>>8, g1>>8, b1>>8)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d pixels differ from %s (run with -update if the change is intended)", name, bad, path)
	}
}

func readCart(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "wasm4", name+".wat"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCartGolden runs each test cart at scale 1 and compares its picture with a golden PNG:
// every drawing function, the palette, DRAW_COLORS, the input registers (scripted), the
// system flags and the disk.
func TestCartGolden(t *testing.T) {
	script := func(s string) *wasm4.Script {
		sc, err := wasm4.ParseScript(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	cases := []struct {
		name string
		opts CartOptions
	}{
		{"shapes", CartOptions{}},
		{"sprites", CartOptions{}},
		{"text", CartOptions{}},
		{"input", CartOptions{Input: script("0 pad1=left+x\n3 pad1=right+x+z pad2=up pad3=down pad4=left+right+up+down+x+z\n5 mouse=120,100 buttons=left+middle\n")}},
		{"preserve", CartOptions{}},
		{"disk", CartOptions{}},
	}
	r := newCartRig(t, t.TempDir())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.opts.Scale = 1
			m := loadCart(t, r.k, c.name, readCart(t, c.name))
			r.runUntilReady(t, m, SpawnOptions{Cart: c.opts})
			img, _ := r.d.last(c.name)
			if img == nil {
				t.Fatal("no frame presented")
			}
			checkGolden(t, c.name, img)
		})
	}
}

// TestCartScale checks the window at the default scale (3) is the 1x picture with every pixel
// a 3x3 block, and that a resize event picks the largest whole scale and centres the picture.
func TestCartScale(t *testing.T) {
	r := newCartRig(t, "")
	body := readCart(t, "shapes")
	one := r.runUntilReady(t, loadCart(t, r.k, "one", body), SpawnOptions{Cart: CartOptions{Scale: 1}})
	three := r.runUntilReady(t, loadCart(t, r.k, "three", body), SpawnOptions{})
	a, _ := r.d.last("one")
	b, _ := r.d.last("three")
	if b.Rect.Dx() != 480 || b.Rect.Dy() != 480 {
		t.Fatalf("default window %v, want 480x480", b.Rect)
	}
	for y := range 480 {
		for x := range 480 {
			if b.RGBAAt(x, y) != a.RGBAAt(x/3, y/3) {
				t.Fatalf("pixel (%d,%d) of the 3x window differs from (%d,%d) of the 1x one", x, y, x/3, y/3)
			}
		}
	}
	// Resize to 500x340: scale 2 (320x320), centred with a black border.
	if err := r.k.PostEvent(three.PID(), Event{Type: EventResize, Surface: 1, X: 500, Y: 340}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, func() bool {
		img, _ := r.d.last("three")
		return img.Rect.Dx() == 500 && img.Rect.Dy() == 340
	}, 5*time.Second, "the cart follows the resize")
	c, _ := r.d.last("three")
	if got := c.RGBAAt(5, 5); got.R != 0 || got.G != 0 || got.B != 0 {
		t.Errorf("border pixel %v, want black", got)
	}
	for _, pt := range []image.Point{{0, 0}, {10, 10}, {80, 40}, {159, 159}} {
		if got, want := c.RGBAAt(90+2*pt.X+1, 10+2*pt.Y+1), a.RGBAAt(pt.X, pt.Y); got != want {
			t.Errorf("cart pixel %v at scale 2: %v, want %v", pt, got, want)
		}
	}
	_ = one
}

// scalingDisplay is a frameDisplay whose surfaces the display scales (the compositor's
// Surface.SetScale): it records the scale each was told.
type scalingDisplay struct{ *frameDisplay }

type scalingSurface struct{ *frameSurface }

func (d scalingDisplay) CreateSurface(o SurfaceOwner, title string, w, h int) (Surface, error) {
	s, _ := d.frameDisplay.CreateSurface(o, title, w, h)
	return scalingSurface{s.(*frameSurface)}, nil
}

func (s scalingSurface) SetScale(n int) error {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.d.scales[s.title] = n
	return nil
}

func (d scalingDisplay) scale(title string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.scales[title]
}

// TestCartScaledByDisplay: on a display that scales surfaces, a cart presents its 160x160
// picture as it is at any window size, tells the display the scale (3 at start, the largest
// whole scale that fits after a resize), and gets the mouse in its own pixels.
func TestCartScaledByDisplay(t *testing.T) {
	fd := newFrameDisplay()
	d := scalingDisplay{fd}
	r := &cartRig{d: fd, logs: &logSink{}}
	r.k = newKernel(t, Config{AllowAll: true, Display: d, Log: r.logs.log})
	one := newCartRig(t, "")
	one.runUntilReady(t, loadCart(t, one.k, "one", readCart(t, "shapes")), SpawnOptions{Cart: CartOptions{Scale: 1}})
	want, _ := one.d.last("one")
	p := r.runUntilReady(t, loadCart(t, r.k, "three", readCart(t, "shapes")), SpawnOptions{})
	got, _ := fd.last("three")
	if d.scale("three") != 3 || got.Rect != want.Rect || !slices.Equal(got.Pix, want.Pix) {
		t.Fatalf("scale %d, picture %v: want scale 3 and the 160x160 picture", d.scale("three"), got.Rect)
	}
	if err := r.k.PostEvent(p.PID(), Event{Type: EventResize, Surface: 1, X: 500, Y: 340}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, func() bool { return d.scale("three") == 2 }, 5*time.Second, "the cart picks scale 2 for 500x340")
	if got, _ := fd.last("three"); got.Rect.Dx() != 160 || got.Rect.Dy() != 160 {
		t.Fatalf("picture %v after the resize, want 160x160", got.Rect)
	}

	in := r.runUntilReady(t, loadCart(t, r.k, "input", readCart(t, "input")), SpawnOptions{Cart: CartOptions{Scale: 2}})
	if err := r.k.PostEvent(in.PID(), Event{Type: EventMouseDown, Surface: 1, X: 120, Y: 100, Code: 1}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, func() bool {
		img, _ := fd.last("input")
		return img.RGBAAt(112+2, 4+2).R == 0x07 && img.RGBAAt(120, 100).R == 0x30 // right button box, cursor cross
	}, 5*time.Second, "the mouse in cart pixels")
}

// TestCartKeysAndMouse drives gamepad 1 and the mouse with input events, as the shell does.
func TestCartKeysAndMouse(t *testing.T) {
	r := newCartRig(t, "")
	p := r.runUntilReady(t, loadCart(t, r.k, "input", readCart(t, "input")), SpawnOptions{Cart: CartOptions{Scale: 2}})
	post := func(e Event) {
		e.Surface = 1
		if err := r.k.PostEvent(p.PID(), e); err != nil {
			t.Fatal(err)
		}
	}
	filled := func(x, y int) bool { // a box of the input cart, at scale 2
		img, _ := r.d.last("input")
		c := img.RGBAAt(2*x+4, 2*y+4)
		return c.R == 0x07 // palette colour 4 of the default palette (0x071821)
	}
	post(Event{Type: EventKeyDown, Code: 262}) // Right
	post(Event{Type: EventKeyDown, Code: 88})  // X
	testenv.Eventually(t, func() bool { return filled(40, 4) && filled(4, 4) }, 5*time.Second, "gamepad 1 shows Right and X")
	post(Event{Type: EventKeyUp, Code: 262})
	testenv.Eventually(t, func() bool { return !filled(40, 4) && filled(4, 4) }, 5*time.Second, "Right released")
	post(Event{Type: EventBlur})
	testenv.Eventually(t, func() bool { return !filled(4, 4) }, 5*time.Second, "blur releases X")
	post(Event{Type: EventMouseDown, X: 2 * 120, Y: 2 * 100, Code: 1}) // right button at (120, 100)
	testenv.Eventually(t, func() bool { return filled(112, 4) }, 5*time.Second, "mouse right button")
	img, _ := r.d.last("input")
	if c := img.RGBAAt(2*120, 2*100); c.R != 0x30 { // the cross, colour 3
		t.Errorf("no cursor cross at the mouse position: %v", c)
	}
}

// TestCartDiskPersists runs the disk cart three times over two kernels on one home: the run
// counter it keeps with diskw survives the process and the kernel.
func TestCartDiskPersists(t *testing.T) {
	home := t.TempDir()
	body := readCart(t, "disk")
	for run := 1; run <= 3; run++ {
		r := newCartRig(t, home)
		m := loadCart(t, r.k, "disk", body)
		p := r.runUntilReady(t, m, SpawnOptions{})
		if want := fmt.Sprintf("disk: runs=%d", run); !strings.Contains(r.logs.String(), want) {
			t.Fatalf("run %d: no %q in the log:\n%s", run, want, r.logs)
		}
		r.k.Kill(p.PID(), true)
		wait(t, p, 5*time.Second)
		b, err := os.ReadFile(filepath.Join(home, "wasm4", m.Digest+".disk"))
		if err != nil || len(b) != 4 || b[0] != byte(run) {
			t.Fatalf("run %d: disk file %v %v, want 4 bytes starting %d", run, b, err, run)
		}
		r.k.Close()
	}
}

// TestCartTrace checks every trace function's output, tracef's formats included, and that
// tone is counted and traced, never an error.
func TestCartTrace(t *testing.T) {
	r := newCartRig(t, "")
	body := `
  (data (i32.const 0x2000) "plain trace\00")
  (data (i32.const 0x2020) "caf\c3\a9")
  (data (i32.const 0x2030) "h\00i\00 \00\13\27")
  (data (i32.const 0x2040) "d=%d x=%x s=%s c=%c f=%f %% %q!\00")
  (data (i32.const 0x2080) "str\00")
  (func (export "start")
    (call $trace (i32.const 0x2000))
    (call $traceUtf8 (i32.const 0x2020) (i32.const 5))
    (call $traceUtf16 (i32.const 0x2030) (i32.const 8))
    ;; arguments: -42, 255, pointer to "str", 'A', 1.5 (f64)
    (i32.store (i32.const 0x3000) (i32.const -42))
    (i32.store (i32.const 0x3004) (i32.const 255))
    (i32.store (i32.const 0x3008) (i32.const 0x2080))
    (i32.store (i32.const 0x300c) (i32.const 65))
    (f64.store (i32.const 0x3010) (f64.const 1.5))
    (call $tracef (i32.const 0x2040) (i32.const 0x3000))
    ;; 12 tones on every channel
    (call $tone (i32.const 262) (i32.const 10) (i32.const 50) (i32.const 0))
    (call $tone (i32.const 0x01f40064) (i32.const 0x01020304) (i32.const 0x6432) (i32.const 0x15))
    (call $tone (i32.const 440) (i32.const 5) (i32.const 100) (i32.const 2))
    (call $tone (i32.const 3000) (i32.const 5) (i32.const 100) (i32.const 3))
    (call $tone (i32.const 60) (i32.const 5) (i32.const 100) (i32.const 0x40))
    (call $tone (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $tone (i32.const 2) (i32.const 0) (i32.const 0) (i32.const 1))
    (call $tone (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 2))
    (call $tone (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 3))
    (call $tone (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $tone (i32.const 6) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $tone (i32.const 7) (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "update") (call $ready))`
	p := r.runUntilReady(t, loadCart(t, r.k, "tr", body), SpawnOptions{})
	for _, want := range []string{
		"tr: plain trace", "tr: café", "tr: hi ✓",
		"tr: d=-42 x=ff s=str c=A f=1.5 % !",
		"tr: tone pulse1 262 Hz, ADSR 0/0/10/0 frames, volume 50%",
		"tr: tone pulse2 100->500 Hz, ADSR 1/2/4/3 frames, volume 50%",
		"tr: tone noise 3000 Hz",
		"tr: further tones are counted only",
	} {
		if !strings.Contains(r.logs.String(), want) {
			t.Errorf("no %q in the log:\n%s", want, r.logs)
		}
	}
	r.k.Kill(p.PID(), false)
	in := wait(t, p, 5*time.Second)
	if in.State != Exited || in.ExitCode != 0 {
		t.Errorf("after a quit request: %v %d %q, want exited 0", in.State, in.ExitCode, in.Reason)
	}
	if st, _ := p.CartStats(); st.Tones != 12 || st.Frames < 30 {
		t.Errorf("stats %+v, want 12 tones and 30+ frames", st)
	}
	if !strings.Contains(r.logs.String(), "tr: played 12 tones") {
		t.Errorf("no tone count at exit in the log:\n%s", r.logs)
	}
}
