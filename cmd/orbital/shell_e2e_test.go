package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// End-to-end tests of the shell: the real binary on a private Xvfb display, driven with real
// X input events (xdotool) and checked from screenshots of the X display (ImageMagick's
// import), decoded with image/png.

func TestShellTypeModuleName(t *testing.T) {
	sp := startShell(t)
	base := sp.waitForBar()
	sp.typeInBar("clock")

	var shot *image.RGBA
	var area image.Rectangle
	sp.waitFor(60*time.Second, "the clock window to appear on the desktop", func() bool {
		shot = sp.screen()
		n, b := changed(base, shot, desktop)
		area = b
		return n > 40000 && countLight(shot, desktop) > 20000 // a window with a light clock face
	})
	// The clock's hands move: the window's pixels change over time.
	sp.waitFor(10*time.Second, "the clock's pixels to change", func() bool {
		n, _ := changed(shot, sp.screen(), area)
		return n > 20
	})
	sp.running()
}

func TestShellClickFocusesPaint(t *testing.T) {
	sp := startShell(t, "--open", "clock", "--open", "life", "--open", "paint")
	// Wait for the paint paper: a white run at least 500 pixels wide (paint is 640 wide; the
	// clock's face is round and smaller).
	var shot *image.RGBA
	var at image.Point
	sp.waitFor(90*time.Second, "the paint window's paper, twice at the same place", func() bool {
		shot = sp.screen()
		p, ok := findPaper(shot)
		if ok && p == at {
			return true
		}
		at = p
		return false
	})
	// Give the keyboard to the URL bar: no window shows the focus line then.
	sp.mustXdotool("windowfocus", "--sync", sp.win)
	sp.mustXdotool("key", "--window", sp.win, "ctrl+l")
	sp.waitFor(10*time.Second, "the focus line to leave paint", func() bool {
		shot = sp.screen()
		return !focusLineAbove(shot, at)
	})
	before := shot.RGBAAt(at.X, at.Y)
	sp.click(at)
	// The click focuses paint (its frame shows the focus line) and reaches it: paint draws
	// a dot at the click point.
	sp.waitFor(10*time.Second, fmt.Sprintf("a paint dot at %v where the click landed", at), func() bool {
		shot = sp.screen()
		return colourDist(shot.RGBAAt(at.X, at.Y), before) > 200
	})
	if !focusLineAbove(shot, at) {
		t.Errorf("paint's frame does not show the focus line above %v after the click (screenshot: %s)", at, savePNG(t, shot))
	}
	// Keys now go to paint: "c" clears the paper.
	sp.mustXdotool("type", "c")
	sp.waitFor(10*time.Second, "paint to clear its paper on the key c", func() bool {
		return colourDist(sp.screen().RGBAAt(at.X, at.Y), before) < 40
	})
	sp.running()
}

func TestShellMoveResizeCloseWindow(t *testing.T) {
	sp := startShell(t, "--open", "clock")
	var face image.Rectangle
	sp.waitFor(60*time.Second, "the clock face", func() bool {
		f := lightBounds(sp.screen(), desktop)
		ok := f.Dx() > 200 && f.Dy() > 200 && f == face
		face = f
		return ok
	})
	shot := sp.screen()
	c := image.Pt((face.Min.X+face.Max.X)/2, (face.Min.Y+face.Max.Y)/2)
	lineY, ok := focusLineY(shot, c)
	if !ok {
		t.Fatalf("no focus line above the clock face at %v (screen: %s)", c, savePNG(t, shot))
	}
	title := image.Pt(c.X, lineY-16)

	// Drag the title bar: the window follows the pointer.
	d := image.Pt(300, 120)
	sp.mustXdotool("mousemove", "--sync", strconv.Itoa(title.X+sp.origin.X), strconv.Itoa(title.Y+sp.origin.Y))
	sp.mustXdotool("mousedown", "1")
	for i := 1; i <= 6; i++ {
		p := title.Add(d.Mul(i).Div(6)).Add(sp.origin)
		sp.mustXdotool("mousemove", "--sync", strconv.Itoa(p.X), strconv.Itoa(p.Y))
	}
	sp.mustXdotool("mouseup", "1")
	want := face.Add(d)
	sp.waitFor(10*time.Second, fmt.Sprintf("the clock face to move from %v to %v", face, want), func() bool {
		got := lightBounds(sp.screen(), desktop)
		return abs(got.Min.X-want.Min.X) <= 2 && abs(got.Min.Y-want.Min.Y) <= 2
	})

	// Drag the resize grip at the frame's bottom-right corner: the window grows. The clock
	// does not redraw at the new size, so its picture is scaled to fit, aspect kept: the
	// face grows and stays round.
	shot = sp.screen()
	moved := lightBounds(shot, desktop)
	grip, ok := findGrip(shot, image.Pt(c.X+d.X, lineY+d.Y))
	if !ok {
		t.Fatalf("no frame edge found below the focus line (screen: %s)", savePNG(t, shot))
	}
	grow := image.Pt(160, 120)
	sp.mustXdotool("mousemove", "--sync", strconv.Itoa(grip.X+sp.origin.X), strconv.Itoa(grip.Y+sp.origin.Y))
	sp.mustXdotool("mousedown", "1")
	for i := 1; i <= 6; i++ {
		p := grip.Add(grow.Mul(i).Div(6)).Add(sp.origin)
		sp.mustXdotool("mousemove", "--sync", strconv.Itoa(p.X), strconv.Itoa(p.Y))
	}
	sp.mustXdotool("mouseup", "1")
	sp.waitFor(10*time.Second, fmt.Sprintf("the clock face (%v) to grow with the window", moved), func() bool {
		got := lightBounds(sp.screen(), desktop)
		return got.Dx() > moved.Dx()+60 && got.Dy() > moved.Dy()+60 && abs(got.Dx()-got.Dy()) <= abs(moved.Dx()-moved.Dy())+4
	})

	// The close button (red, at the right of the focused title bar) stops the process: the
	// window goes away and the shell keeps running.
	shot = sp.screen()
	closeAt, ok := findCloseButton(shot, title.Add(d))
	if !ok {
		t.Fatalf("no close button on the title bar row %d (screen: %s)", title.Y+d.Y, savePNG(t, shot))
	}
	sp.click(closeAt)
	sp.waitFor(15*time.Second, "the clock window to close", func() bool {
		return lightBounds(sp.screen(), desktop).Dy() < 100 // only the suggestions' text is left
	})
	sp.running()
}

// lightBounds is the bounding box of the near-white pixels of r.
func lightBounds(img *image.RGBA, r image.Rectangle) image.Rectangle {
	var b image.Rectangle
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := img.RGBAAt(x, y); c.R > 230 && c.G > 230 && c.B > 230 {
				b = b.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return b
}

// focusLineY finds the y of the focus line above p.
func focusLineY(img *image.RGBA, p image.Point) (int, bool) {
	accent := color.RGBA{0x5b, 0x9c, 0xff, 0xff}
	for y := p.Y; y > e2eTopBarH; y-- {
		if colourDist(img.RGBAAt(p.X, y), accent) < 40 {
			return y, true
		}
	}
	return 0, false
}

// findGrip finds the resize grip of the focused window whose focus line passes through p:
// the line's right end is the content's right edge; the frame's 1-pixel right border runs
// down from there to the bottom edge, where the grip is.
func findGrip(img *image.RGBA, p image.Point) (image.Point, bool) {
	accent := color.RGBA{0x5b, 0x9c, 0xff, 0xff}
	x := p.X
	for x+1 < img.Rect.Max.X && colourDist(img.RGBAAt(x+1, p.Y), accent) < 40 {
		x++
	}
	edge := x + 1 // the frame's right border column
	edgeCol := img.RGBAAt(edge, p.Y+20)
	y := p.Y + 20
	for y+1 < img.Rect.Max.Y && colourDist(img.RGBAAt(edge, y+1), edgeCol) < 30 {
		y++
	}
	if y-p.Y < 60 {
		return image.Point{}, false
	}
	return image.Pt(edge-6, y-2), true // inside the grip zone at the bottom-right corner
}

// findCloseButton scans the title bar row through p, rightwards, for the red close button.
func findCloseButton(img *image.RGBA, p image.Point) (image.Point, bool) {
	red := color.RGBA{0xff, 0x5f, 0x57, 0xff}
	for x := p.X; x < img.Rect.Max.X; x++ {
		if colourDist(img.RGBAAt(x, p.Y), red) < 60 {
			return image.Pt(x+4, p.Y), true
		}
	}
	return image.Point{}, false
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// focusLineAbove looks up from p (inside a window) for the accent line the shell draws under
// the title bar of the window that has the keyboard.
func focusLineAbove(img *image.RGBA, p image.Point) bool {
	accent := color.RGBA{0x5b, 0x9c, 0xff, 0xff}
	for y := p.Y; y > e2eTopBarH && y > p.Y-520; y-- {
		if colourDist(img.RGBAAt(p.X, y), accent) < 40 {
			return true
		}
	}
	return false
}

// findPaper finds a point well inside paint's white paper that no other window covers: the
// middle of a white run at least 500 pixels wide, with white rows above and below.
func findPaper(img *image.RGBA) (image.Point, bool) {
	white := func(x, y int) bool {
		c := img.RGBAAt(x, y)
		return c.R > 245 && c.G > 245 && c.B > 245
	}
	for y := desktop.Min.Y + 40; y < desktop.Max.Y-40; y += 8 {
		run := 0
		for x := desktop.Min.X; x < desktop.Max.X; x++ {
			if !white(x, y) {
				run = 0
				continue
			}
			run++
			if run < 500 {
				continue
			}
			p := image.Pt(x-250, y)
			ok := true
			for d := -20; d <= 20 && ok; d += 4 {
				ok = white(p.X+d, p.Y-20) && white(p.X+d, p.Y+20) && white(p.X+d, p.Y)
			}
			if ok {
				return p, true
			}
		}
	}
	return image.Point{}, false
}

func TestShellOpensHTTPURLAndShowsErrors(t *testing.T) {
	clock, err := os.ReadFile(testenv.Module(t, "clock"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	served := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/apps/clock.wasm":
			w.Header().Set("Content-Type", "application/wasm")
			w.Write(clock)
		case "/big.wasm": // over the shell's --max-download of 8 MiB
			w.Header().Set("Content-Type", "application/wasm")
			big := make([]byte, 9<<20)
			copy(big, "\x00asm\x01\x00\x00\x00")
			w.Write(big)
		case "/page.wasm":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!doctype html><html><body>Sign in to continue</body></html>")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	// trap could open a window but traps before it does: Open reports it crashed on start.
	// crash opens no window, so it gets a console window at once, and its crash is reported
	// when it happens (the console keeps the status).
	trap := writeWAT(t, "trap.wasm", `(module
		(import "orbital" "surface_create" (func (param i32 i32 i32 i32) (result i32)))
		(func (export "_start") unreachable))`)
	crash := writeWAT(t, "crash.wasm", `(module (func (export "_start") unreachable))`)

	// The module that crashes late needs a window grant (default deny).
	home := testenv.Home(t)
	os.MkdirAll(filepath.Join(home, "policies"), 0o755)
	err = os.WriteFile(filepath.Join(home, "policies", "late.toml"), []byte("[module]\nmatch = \"late\"\n\n[ui]\nwindows = true\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	sp := startShellHome(t, home, "--max-download", "8MiB")
	base := sp.waitForBar()

	// Each bad input: the error line appears with a one-line reason (logged too), and the
	// shell keeps running.
	bad := []struct {
		text string
		log  string // the start of the line the shell logs for the error
		want string
	}{
		{srv.URL + "/missing.wasm", "orbital shell: open", "404"},
		{srv.URL + "/page.wasm", "orbital shell: open", "HTML"},
		{srv.URL + "/big.wasm", "orbital shell: open", "larger"},
		{trap, "orbital shell: open", "crashed on start: trap: unreachable"},
		{crash, "orbital shell: crash (pid ", "crashed: trap: unreachable"},
		{"no-such-module", "orbital shell: open", "no such file, and no module of that name"},
	}
	for _, b := range bad {
		before := strings.Count(sp.stderr.String(), b.log)
		sp.typeInBar(b.text)
		sp.waitFor(30*time.Second, "the error for "+b.text, func() bool {
			return strings.Count(sp.stderr.String(), b.log) > before
		})
		out := sp.stderr.String()
		last := out[strings.LastIndex(out, b.log):]
		if line, _, _ := strings.Cut(last, "\n"); !strings.Contains(line, b.want) {
			t.Errorf("opening %s: reason %q does not say %q", b.text, line, b.want)
		}
		sp.waitFor(10*time.Second, "the red error line for "+b.text, func() bool { return errorLineShown(sp.screen()) })
		sp.running()
	}

	// A module that opens its window and traps a second later: the window goes and the error
	// line says why.
	late := writeWAT(t, "late.wasm", `(module
		(import "orbital" "surface_create" (func $create (param i32 i32 i32 i32) (result i32)))
		(import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
		(memory (export "memory") 1)
		(data (i32.const 0) "Late")
		(func (export "_start") (local $i i32)
			(drop (call $create (i32.const 200) (i32.const 100) (i32.const 0) (i32.const 4)))
			(loop $wait
				(drop (call $recv (i32.const 64) (i32.const 256) (i64.const 300000000)))
				(local.set $i (i32.add (local.get $i) (i32.const 1)))
				(br_if $wait (i32.lt_u (local.get $i) (i32.const 4))))
			unreachable))`)
	sp.typeInBar(late)
	sp.waitFor(30*time.Second, "the report of the late crash", func() bool {
		for _, line := range strings.Split(sp.stderr.String(), "\n") {
			if strings.HasPrefix(line, "orbital shell: ") && strings.Contains(line, "late") &&
				strings.Contains(line, "crashed") && strings.Contains(line, "unreachable") {
				return true
			}
		}
		return false
	})
	sp.waitFor(10*time.Second, "the red error line for the late crash", func() bool { return errorLineShown(sp.screen()) })

	// A good URL opens: the module is downloaded from the server and its window drawn, and
	// the error line goes away.
	sp.typeInBar(srv.URL + "/apps/clock.wasm")
	var shot *image.RGBA
	var area image.Rectangle
	sp.waitFor(60*time.Second, "the clock downloaded over http to appear", func() bool {
		shot = sp.screen()
		n, b := changed(base, shot, desktop)
		area = b
		return n > 40000 && countLight(shot, desktop) > 20000 && !errorLineShown(shot)
	})
	mu.Lock()
	hits := served["/apps/clock.wasm"]
	mu.Unlock()
	if hits == 0 {
		t.Fatal("the server never saw a request for /apps/clock.wasm")
	}
	sp.waitFor(10*time.Second, "the downloaded clock to keep drawing", func() bool {
		n, _ := changed(shot, sp.screen(), area)
		return n > 20
	})
	sp.running()
}

// savePNG keeps a screenshot for a failure report and returns its path.
func savePNG(t *testing.T, img *image.RGBA) string {
	dir := os.Getenv("ORBITAL_TEST_ARTIFACTS")
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-*.png")
	if err != nil {
		return "(not saved: " + err.Error() + ")"
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		return "(not saved: " + err.Error() + ")"
	}
	return f.Name()
}

// TestShellBarEditing drives the URL bar's editing keys with real X key events: select all,
// copy, End, paste, and history (Up) — checked through what the shell tried to open.
func TestShellBarEditing(t *testing.T) {
	sp := startShell(t)
	sp.mustXdotool("windowfocus", "--sync", sp.win)
	sp.mustXdotool("key", "--window", sp.win, "ctrl+l")
	sp.mustXdotool("type", "--delay", "15", "nope")
	for _, k := range []string{"ctrl+a", "ctrl+c", "End", "ctrl+v", "Left", "Left", "BackSpace", "Return"} {
		sp.mustXdotool("key", k)
	}
	// "nope" + pasted "nope", then the second-to-last "o" deleted: "nopenpe".
	const want = `open "nopenpe"`
	sp.waitFor(15*time.Second, want, func() bool { return strings.Contains(sp.stderr.String(), want) })
	// Up brings the entry back from history; Return opens it again.
	sp.mustXdotool("key", "ctrl+l")
	sp.mustXdotool("key", "ctrl+a", "BackSpace", "Up", "Return")
	sp.waitFor(15*time.Second, "the history entry to be opened again", func() bool {
		return strings.Count(sp.stderr.String(), want) >= 2
	})
	sp.running()
}

// TestShellCtrlWClosesWindow: the keyboard shortcut stops the focused module.
func TestShellCtrlWClosesWindow(t *testing.T) {
	sp := startShell(t, "--open", "clock")
	sp.waitFor(60*time.Second, "the clock face", func() bool {
		f := lightBounds(sp.screen(), desktop)
		return f.Dx() > 200 && f.Dy() > 200
	})
	sp.mustXdotool("windowfocus", "--sync", sp.win)
	sp.mustXdotool("key", "ctrl+w")
	sp.waitFor(15*time.Second, "the clock window to close on Ctrl+W", func() bool {
		return lightBounds(sp.screen(), desktop).Dy() < 100
	})
	sp.running()
}
