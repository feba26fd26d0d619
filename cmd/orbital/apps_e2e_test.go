package main

import (
	"bytes"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
)

// The end-to-end tests of issue 14 through `orbital run`: byte-exact standard streams, stdin,
// argv[0] and exit codes of WASI programs, and WASM-4 carts headless with scripted input and
// a disk that outlives the run.

// argv0WAT writes its argv[0] to stdout and a line without a newline to stderr.
const argv0WAT = `(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 900) "to stderr, no newline")
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $n))
  (func (export "_start")
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $args (i32.const 100) (i32.const 200)))
    (i32.store (i32.const 16) (i32.load (i32.const 100)))
    (i32.store (i32.const 20) (call $strlen (i32.load (i32.const 100))))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 16) (i32.const 900))
    (i32.store (i32.const 20) (i32.const 21))
    (drop (call $write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 8)))))`

// TestRunStdio: `printf 'abc' | orbital run cat.wasm` prints exactly abc; stdout and stderr
// pass through unchanged (no newline added); argv[0] is the module's name.
func TestRunStdio(t *testing.T) {
	home := testenv.Home(t)
	cat := testenv.Module(t, "cat")
	for _, in := range []string{"abc", "", "two\nlines\n", strings.Repeat("\x00\xff binary ", 30000)} {
		cmd := exec.Command(testenv.Binary(t), "run", "--home", home, cat)
		cmd.Stdin = strings.NewReader(in)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("cat with %d bytes of stdin: %v\n%s", len(in), err, errOut.String())
		}
		if out.String() != in {
			t.Fatalf("cat printed %d bytes %.40q, want the %d given %.40q", out.Len(), out.String(), len(in), in)
		}
	}
	out, errOut, code := orbital(t, home, writeWAT(t, "argv0.wasm", argv0WAT))
	if code != 0 || out != "argv0" {
		t.Errorf("argv0: exit %d, stdout %q, want argv0 exactly", code, out)
	}
	if !strings.Contains(errOut, "to stderr, no newline") || strings.Contains(errOut, "no newline\n") {
		t.Errorf("stderr %q: want the bytes as written, without a newline added", errOut)
	}
}

// runCartWAT is a cart for the run and shell tests: a 20x20 dark box on the light
// background, at x=20 to start, moving 2 pixels a frame right while Right is held and left
// while Left is; start counts its runs on the disk and traces the count.
const runCartWAT = `(module
  (import "env" "memory" (memory 1 1))
  (import "env" "rect" (func $rect (param i32 i32 i32 i32)))
  (import "env" "diskr" (func $diskr (param i32 i32) (result i32)))
  (import "env" "diskw" (func $diskw (param i32 i32) (result i32)))
  (import "env" "tracef" (func $tracef (param i32 i32)))
  (data (i32.const 0x2000) "runs=%d\00")
  (func (export "start")
    (local $n i32)
    (i32.store (i32.const 0x3000) (i32.const 20))
    (if (i32.eq (call $diskr (i32.const 0x3004) (i32.const 4)) (i32.const 4))
      (then (local.set $n (i32.load (i32.const 0x3004)))))
    (i32.store (i32.const 0x3004) (i32.add (local.get $n) (i32.const 1)))
    (drop (call $diskw (i32.const 0x3004) (i32.const 4)))
    (call $tracef (i32.const 0x2000) (i32.const 0x3004)))
  (func (export "update")
    (local $x i32) (local $pad i32)
    (local.set $pad (i32.load8_u (i32.const 0x16)))
    (local.set $x (i32.load (i32.const 0x3000)))
    (if (i32.and (local.get $pad) (i32.const 32)) (then (local.set $x (i32.add (local.get $x) (i32.const 2)))))
    (if (i32.and (local.get $pad) (i32.const 16)) (then (local.set $x (i32.sub (local.get $x) (i32.const 2)))))
    (local.set $x (select (i32.const 140) (local.get $x) (i32.gt_s (local.get $x) (i32.const 140))))
    (local.set $x (select (i32.const 0) (local.get $x) (i32.lt_s (local.get $x) (i32.const 0))))
    (i32.store (i32.const 0x3000) (local.get $x))
    (i32.store16 (i32.const 0x14) (i32.const 4))
    (call $rect (local.get $x) (i32.const 70) (i32.const 20) (i32.const 20))))`

// colourBounds is the bounding box of the pixels of r that are exactly c.
func colourBounds(img *image.RGBA, r image.Rectangle, c color.RGBA) image.Rectangle {
	var b image.Rectangle
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				b = b.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return b
}

var (
	cartLight = color.RGBA{0xe0, 0xf8, 0xcf, 0xff} // palette colour 1
	cartDark  = color.RGBA{0x07, 0x18, 0x21, 0xff} // palette colour 4
)

// TestRunCartHeadless: a cart runs headless at 3x; --input holds Right for 30 frames, so the
// screenshot shows the box moved 60 cart pixels (180 window pixels); its disk counts two runs.
func TestRunCartHeadless(t *testing.T) {
	home := testenv.Home(t)
	cart := writeWAT(t, "mover.wasm", runCartWAT)
	script := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(script, []byte("0 pad1=right\n30 pad1=-\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "cart.png")
	_, errOut, code := orbital(t, home, "--headless", "--frames", "60", "--screenshot", shot, "--input", script, cart)
	if code != 0 || !strings.Contains(errOut, "mover[1]: runs=1") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	img := readPNG(t, shot)
	// The window is 480x480 (3x) where the desktop placed it; the box spans cart x 80..99
	// (window 240..299) and y 70..89 (210..269).
	win := colourBounds(img, img.Rect, cartLight)
	if win.Dx() != 480 || win.Dy() != 480 {
		t.Fatalf("cart window %v, want 480x480 (screenshot %s)", win, shot)
	}
	for _, c := range []struct {
		x, y int
		want color.RGBA
	}{{10, 10, cartLight}, {470, 470, cartLight}, {245, 215, cartDark}, {295, 265, cartDark}, {235, 215, cartLight}, {305, 265, cartLight}, {65, 215, cartLight}} {
		if got := img.RGBAAt(win.Min.X+c.x, win.Min.Y+c.y); got != c.want {
			t.Errorf("window pixel (%d,%d) is %v, want %v (screenshot %s)", c.x, c.y, got, c.want, shot)
		}
	}
	if _, errOut, _ := orbital(t, home, "--headless", "--frames", "3", cart); !strings.Contains(errOut, "runs=2") {
		t.Errorf("second run: the disk did not count it: %q", errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("0 pad1=jump\n"), 0o644)
	if _, errOut, code := orbital(t, home, "--input", bad, cart); code != 2 || !strings.Contains(errOut, `input script line 1: pad1: unknown button "jump"`) {
		t.Errorf("bad script: exit %d, %q", code, errOut)
	}
}
