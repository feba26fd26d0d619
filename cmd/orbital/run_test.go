package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
)

// orbital runs the real binary with ORBITAL_MODULES pointing at the built demo modules and
// returns stdout, stderr and the exit code.
func orbital(t *testing.T, home string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	modDir := filepath.Dir(testenv.Module(t, "hello"))
	testenv.Module(t, "clock")
	return orbitalRun(t, []string{"ORBITAL_MODULES=" + modDir}, append([]string{"run", "--home", home}, args...)...)
}

func writeWAT(t *testing.T, name, src string) string {
	t.Helper()
	wasm, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunHello(t *testing.T) {
	home := testenv.FreshHome(t)
	out, errOut, code := orbital(t, home, "hello", "--", "a", "b c")
	if code != 0 || !strings.Contains(out, "hello from orbital") || !strings.Contains(out, `args: ["a" "b c"]`) {
		t.Fatalf("code %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "hello: started as pid 1") {
		t.Fatalf("guest log line missing from stderr: %q", errOut)
	}
	// The second start loads the compiled module from the home's cache.
	if m, _ := filepath.Glob(filepath.Join(home, "cache", "compiled", "*.cwasm")); len(m) != 1 {
		t.Fatalf("compile cache holds %v", m)
	}
	if _, _, code := orbital(t, home, "hello"); code != 0 {
		t.Fatalf("second run: code %d", code)
	}
}

func TestRunExitCodes(t *testing.T) {
	home := testenv.Home(t)
	exit9 := writeWAT(t, "exit9.wasm", `(module (import "wasi_snapshot_preview1" "proc_exit" (func $e (param i32)))
			(memory (export "memory") 1) (func (export "_start") (call $e (i32.const 9))))`)
	for _, tc := range []struct {
		args []string
		want int
	}{
		// The timeout stops clock; exit9 had ended by itself with 9, which the stop must not hide.
		{[]string{"--timeout", "2s", exit9, "clock"}, 9},
		{[]string{"hello", "--", "--exit", "3"}, 3},
		{[]string{"hello", "--", "--exit", "0"}, 0},
		{[]string{writeWAT(t, "trap.wasm", `(module (func (export "_start") unreachable))`)}, 134},
		{[]string{exit9}, 9},
	} {
		_, errOut, code := orbital(t, home, tc.args...)
		if code != tc.want {
			t.Errorf("orbital run %v: exit %d, want %d (stderr %q)", tc.args, code, tc.want, errOut)
		}
		if tc.want == 134 && !strings.Contains(errOut, "trap: unreachable instruction executed") {
			t.Errorf("trap not reported: %q", errOut)
		}
	}
}

func TestRunBadInput(t *testing.T) {
	home := testenv.FreshHome(t)
	hello, err := os.ReadFile(testenv.Module(t, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	unknown := writeWAT(t, "clock.wasm", `(module (import "orbital" "frobnicate" (func)) (func (export "_start")))`)
	for _, tc := range []struct {
		name, target, want string
	}{
		{"missing", filepath.Join(dir, "missing.wasm"), "missing.wasm: no such file"},
		{"unknown-name", "nosuchmodule", "nosuchmodule: no such file, and no module of that name"},
		{"garbage", write("garbage.wasm", []byte("this is not wasm at all")), "garbage.wasm: not a WebAssembly module"},
		{"truncated", write("trunc.wasm", hello[:len(hello)/2]), "trunc.wasm: corrupt or truncated module"},
		{"unknown-import", unknown, "clock.wasm: imports orbital.frobnicate, which this kernel does not provide (ABI v1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := orbital(t, home, tc.target)
			if code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "orbital: ") || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("stderr %q, want one line containing %q", errOut, tc.want)
			}
			if out != "" {
				t.Fatalf("stdout %q", out)
			}
		})
	}
	// Nothing half-written: bad modules leave no compile-cache entry and no temp file in the
	// home. (Other parts, such as the registry a name lookup opens, may create their stores.)
	filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.Contains(p, filepath.Join("cache", "compiled")) || strings.Contains(d.Name(), ".tmp")) {
			t.Errorf("bad input left %s in the home", p)
		}
		return nil
	})
}

func readPNG(t *testing.T, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rgba := image.NewRGBA(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	return rgba
}

func light(c color.RGBA) bool { return c.R > 200 && c.G > 200 && c.B > 200 }

// checkClockFace finds the clock's light face and checks that it is round: a square bounding
// box, filled about pi/4 by light pixels (hands and ticks take some), with dark corners.
func checkClockFace(t *testing.T, img *image.RGBA) {
	t.Helper()
	bb := image.Rectangle{}
	n := 0
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if light(img.RGBAAt(x, y)) {
				n++
				bb = bb.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	w, h := bb.Dx(), bb.Dy()
	if w < 200 || h < 200 || w-h > 4 || h-w > 4 {
		t.Fatalf("light area %v (%d light pixels) is not a clock face", bb, n)
	}
	fill := float64(n) / float64(w*h)
	if fill < 0.6 || fill > 0.8 {
		t.Fatalf("face fills %.2f of its box, want a disc (about 0.7)", fill)
	}
	for _, p := range []image.Point{bb.Min, {bb.Max.X - 1, bb.Min.Y}, {bb.Min.X, bb.Max.Y - 1}, bb.Max.Sub(image.Pt(1, 1))} {
		if light(img.RGBAAt(p.X, p.Y)) {
			t.Fatalf("corner %v of the face is light: not round", p)
		}
	}
	bg := img.RGBAAt(img.Rect.Max.X-1, img.Rect.Max.Y-1)
	if light(bg) {
		t.Fatalf("background %v is light", bg)
	}
}

func TestRunClockScreenshot(t *testing.T) {
	home := testenv.Home(t)
	dir := t.TempDir()
	early, late := filepath.Join(dir, "early.png"), filepath.Join(dir, "late.png")
	if _, errOut, code := orbital(t, home, "--headless", "--frames", "2", "--screenshot", early, "clock"); code != 0 {
		t.Fatalf("frames 2: exit %d: %s", code, errOut)
	}
	if _, errOut, code := orbital(t, home, "--headless", "--frames", "30", "--screenshot", late, "clock"); code != 0 {
		t.Fatalf("frames 30: exit %d: %s", code, errOut)
	}
	a, b := readPNG(t, early), readPNG(t, late)
	checkClockFace(t, a)
	checkClockFace(t, b)
	diff := 0
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			diff++
		}
	}
	if diff < 50 {
		t.Fatalf("frames 2 and 30 differ in %d bytes: the clock does not move", diff)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("screenshot dir holds %d files, want 2 (no temp files)", len(entries))
	}
}

func TestRunTrapBesideClock(t *testing.T) {
	home := testenv.Home(t)
	shot := filepath.Join(t.TempDir(), "shot.png")
	trap := writeWAT(t, "trap.wasm", `(module (func (export "_start") unreachable))`)
	_, errOut, code := orbital(t, home, "--headless", "--frames", "20", "--screenshot", shot, trap, "clock")
	if code != 134 {
		t.Fatalf("exit %d, want 134 from the trapping module; stderr %q", code, errOut)
	}
	if !strings.Contains(errOut, "trap[1]: trap: unreachable instruction executed") {
		t.Fatalf("trap not reported: %q", errOut)
	}
	checkClockFace(t, readPNG(t, shot)) // the clock kept going to its 20th frame
}

func TestRunLimits(t *testing.T) {
	home := testenv.Home(t)
	loop := writeWAT(t, "loop.wasm", `(module (func (export "_start") (loop $l (br $l))))`)
	testenv.Binary(t) // built before the clock starts
	testenv.Module(t, "hello")
	testenv.Module(t, "clock")
	start := time.Now()
	_, errOut, code := orbital(t, home, "--deadline", "300ms", loop)
	if code != 134 || !strings.Contains(errOut, "deadline exceeded") {
		t.Fatalf("infinite loop: exit %d stderr %q", code, errOut)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("a 300ms deadline took %v to end the run", took)
	}
	bomb := writeWAT(t, "bomb.wasm", `(module (memory (export "memory") 1)
		(func (export "_start") (loop $l
			(if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable)) (br $l))))`)
	_, errOut, code = orbital(t, home, "--memory", "16MiB", bomb)
	if code != 134 || !strings.Contains(errOut, "memory limit of 16 MiB reached") {
		t.Fatalf("memory bomb: exit %d stderr %q", code, errOut)
	}
}

func TestRunTimeout(t *testing.T) {
	home := testenv.Home(t)
	shot := filepath.Join(t.TempDir(), "shot.png")
	// 10000 frames would take minutes; the timeout stops the clock after a second.
	_, errOut, code := orbital(t, home, "--headless", "--frames", "10000", "--timeout", "1s", "--screenshot", shot, "clock")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkClockFace(t, readPNG(t, shot))
}

func TestRunInterrupt(t *testing.T) {
	home := testenv.FreshHome(t)
	bin := testenv.Binary(t)
	cmd := exec.Command(bin, "run", "--home", home, "--headless", testenv.Module(t, "clock"))
	var e bytes.Buffer
	cmd.Stderr = &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// The compiled module lands in the cache just before the process starts.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m, _ := filepath.Glob(filepath.Join(home, "cache", "compiled", "*.sum")); len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("clock never started: %s", e.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after SIGINT: %v, stderr %q", err, e.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("orbital run did not stop on SIGINT")
	}
}

func TestRunBadFlags(t *testing.T) {
	home := testenv.Home(t)
	for _, args := range [][]string{
		{},
		{"--frames", "-1", "hello"},
		{"--memory", "lots", "hello"},
		{"--dir", "nocolons", "hello"},
		{"--env", "NOEQUALS", "hello"},
		{"--nosuchflag", "hello"},
	} {
		if _, errOut, code := orbital(t, home, args...); code != 2 || errOut == "" {
			t.Errorf("orbital run %v: exit %d stderr %q, want 2 and a message", args, code, errOut)
		}
	}
}
