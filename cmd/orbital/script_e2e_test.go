package main

import (
	"fmt"
	"image"
	"image/color"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
)

// End-to-end tests of JavaScript modules: the real binary runs scripts in the JavaScript
// engine module (modules/js). The engine is compiled once per test binary
// (testenv.ShareCompileCache); every other start comes from the compile cache.

// scriptHome is a fresh home sharing the test binary's compile cache, with policies (file
// name -> TOML) written into it.
func scriptHome(t *testing.T, policies map[string]string) string {
	t.Helper()
	home := testenv.Home(t)
	testenv.ShareCompileCache(t, home)
	if len(policies) > 0 {
		dir := filepath.Join(home, "policies")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, text := range policies {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return home
}

// jsRun is `orbital run --home home args...` with the engine and the Go demos built.
func jsRun(t *testing.T, home string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	modDir := filepath.Dir(testenv.Module(t, "js"))
	testenv.Module(t, "ponger")
	testenv.Module(t, "pinger")
	return orbitalRun(t, []string{"ORBITAL_MODULES=" + modDir}, append([]string{"run", "--home", home}, args...)...)
}

// writeScript writes a script into a temporary directory and returns its path.
func writeScript(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var bounceJS = filepath.Join(testenv.RepoRoot(), "modules", "bounce", "bounce.js")

// Colours of the bounce demo (modules/bounce/bounce.js).
var (
	bounceHeader = color.RGBA{0xf0, 0xc0, 0x20, 255}
	bounceBack   = color.RGBA{0x10, 0x20, 0x40, 255}
	bounceRed    = color.RGBA{0xe0, 0x40, 0x50, 255}
	bounceGreen  = color.RGBA{0x40, 0xc0, 0x70, 255}
	bounceBlue   = color.RGBA{0x40, 0x90, 0xf0, 255}
)

// findBounce finds the bounce window's 360x240 picture in a screenshot by its yellow header:
// the bounding box of header-coloured pixels in rows that hold a long run of them.
func findBounce(img *image.RGBA) (image.Rectangle, bool) {
	var header image.Rectangle
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		run, best, end := 0, 0, 0
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if colourDist(img.RGBAAt(x, y), bounceHeader) < 30 {
				if run++; run > best {
					best, end = run, x+1
				}
			} else {
				run = 0
			}
		}
		if best >= 300 {
			header = header.Union(image.Rect(end-best, y, end, y+1))
		}
	}
	if header.Dy() < 10 {
		return image.Rectangle{}, false
	}
	return image.Rect(header.Min.X, header.Min.Y, header.Min.X+360, header.Min.Y+240), true
}

// countNear counts the pixels of r close to c.
func countNear(img *image.RGBA, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if colourDist(img.RGBAAt(x, y), c) < 30 {
				n++
			}
		}
	}
	return n
}

// checkBounce checks a picture of the bounce demo: its header with text, its background and
// its three first balls (yellow, red and green, radius 12 to 25).
func checkBounce(t *testing.T, img *image.RGBA) image.Rectangle {
	t.Helper()
	win, ok := findBounce(img)
	if !ok {
		t.Fatalf("no bounce window (a 360-pixel yellow header) in the screenshot (%s)", savePNG(t, img))
	}
	field := image.Rect(win.Min.X, win.Min.Y+24, win.Max.X, win.Max.Y)
	head := image.Rect(win.Min.X, win.Min.Y, win.Max.X, win.Min.Y+24)
	if n := countNear(img, head, bounceBack); n < 50 {
		t.Errorf("the header holds %d text pixels, want its caption", n)
	}
	if n := countNear(img, field, bounceBack); n < field.Dx()*field.Dy()*6/10 {
		t.Errorf("background covers %d of %d pixels", n, field.Dx()*field.Dy())
	}
	for name, c := range map[string]color.RGBA{"red": bounceRed, "green": bounceGreen} {
		if n := countNear(img, field, c); n < 300 {
			t.Errorf("the %s ball covers %d pixels, want a disc of radius 12 or more (%s)", name, n, savePNG(t, img))
		}
	}
	return field
}

func TestRunScriptScreenshot(t *testing.T) {
	home := scriptHome(t, nil)
	dir := t.TempDir()
	early, late := filepath.Join(dir, "early.png"), filepath.Join(dir, "late.png")
	for _, run := range []struct{ frames, shot string }{{"3", early}, {"40", late}} {
		if _, errOut, code := jsRun(t, home, "--headless", "--frames", run.frames, "--screenshot", run.shot, bounceJS); code != 0 {
			t.Fatalf("frames %s: exit %d: %s", run.frames, code, errOut)
		}
	}
	a, b := readPNG(t, early), readPNG(t, late)
	fa, fb := checkBounce(t, a), checkBounce(t, b)
	if fa != fb {
		t.Fatalf("the window moved between runs: %v, then %v", fa, fb)
	}
	if n, _ := changed(a, b, fa); n < 200 {
		t.Fatalf("frames 3 and 40 differ in %d pixels: the balls do not move", n)
	}
}

func TestRunScriptSyntaxError(t *testing.T) {
	home := scriptHome(t, nil)
	bad := writeScript(t, "bad.js", "let ok = 1\nlet x = ;\nconsole.log('never')\n")
	stdout, errOut, code := jsRun(t, home, bad)
	want := regexp.MustCompile(`^orbital: bad\[\d+\]: bad\.js:2:9: SyntaxError: Unexpected token ;\n$`)
	if code != 134 || !want.MatchString(errOut) || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q: want 134 and one line naming bad.js:2:9", code, stdout, errOut)
	}
}

func TestRunScriptException(t *testing.T) {
	home := scriptHome(t, nil)
	boom := writeScript(t, "boom.js", "function inner() {\n  throw new Error('boom')\n}\nconsole.log('before')\nsetTimeout(function later() { inner() }, 10)\n")
	stdout, errOut, code := jsRun(t, home, boom)
	if code != 134 || stdout != "before\n" {
		t.Fatalf("exit %d, stdout %q: want 134 after the top level ran", code, stdout)
	}
	for _, want := range []string{"Uncaught Error: boom\n", "    at inner (boom.js:2:9)\n", "    at later (boom.js:5:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q lacks %q", errOut, want)
		}
	}
}

// jsPonger answers ponger.ping like modules/ponger, until something is published on
// ponger.stop.
const jsPonger = `orbital.bus.serve('ponger.ping', m => m.data)
orbital.bus.subscribe('ponger.stop', () => orbital.exit(0))
`

// jsPing asks ponger 20 times, checks every answer, then stops ponger.
const jsPing = `async function ask(i) {
  for (;;) {
    try { return await orbital.bus.request('ponger.ping', 'ping ' + i, {timeout: 2000}) }
    catch (e) {
      if (e.code !== 'ERR_NOT_FOUND') throw e // ponger is not subscribed yet: try again
      await new Promise(res => setTimeout(res, 20))
    }
  }
}
(async () => {
  for (let i = 0; i < 20; i++) {
    const r = await ask(i)
    if (r.text() !== 'ping ' + i) throw new Error('reply ' + r.text() + ' to ping ' + i)
  }
  console.log('jsping: 20 replies from pid', (await ask(99)).from)
  orbital.bus.publish('ponger.stop', '')
})()
`

func TestScriptRequestReply(t *testing.T) {
	home := scriptHome(t, map[string]string{
		"jsponger.toml": "[module]\nmatch = \"jsponger\"\n[bus]\nsubscribe = [\"ponger.>\"]\n",
		"jsping.toml":   "[module]\nmatch = \"jsping\"\n[bus]\nrequest = [\"ponger.>\"]\npublish = [\"ponger.stop\"]\n",
	})
	t.Run("go asks js", func(t *testing.T) {
		ponger := writeScript(t, "jsponger.js", jsPonger)
		out, errOut, code := jsRun(t, home, ponger, "pinger", "--", "-n", "200")
		if code != 0 || !strings.Contains(out, "pinger: 200 round trips on ponger.ping") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("js asks go", func(t *testing.T) {
		out, errOut, code := jsRun(t, home, "ponger", writeScript(t, "jsping.js", jsPing))
		if code != 0 || !regexp.MustCompile(`jsping: 20 replies from pid \d+`).MatchString(out) {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("policed as the script", func(t *testing.T) {
		// The same script under another name has no policy granting ponger.>: the engine is
		// not what policy sees.
		other := writeScript(t, "other.js", jsPonger)
		_, errOut, code := jsRun(t, home, other)
		if code != 134 || !strings.Contains(errOut, "other[") || !strings.Contains(errOut, "ERR_DENIED") {
			t.Fatalf("exit %d, stderr %q: want other.js refused its subscription", code, errOut)
		}
		audit, _, _ := orbitalCmd(t, "audit", "--home", home)
		if !strings.Contains(audit, "other") || !strings.Contains(audit, "ponger.ping") {
			t.Fatalf("orbital audit does not name other.js's refusal:\n%s", audit)
		}
	})
}

// TestInstalledScriptAnswers installs the bounce package (a manifest whose entry is
// bounce.js), runs it by name beside a script that asks it bounce.count, and checks the
// answer: the demo answers a bus request under its installed identity (manifest ∩ built-in
// policy).
func TestInstalledScriptAnswers(t *testing.T) {
	home := scriptHome(t, map[string]string{
		"jscount.toml": "[module]\nmatch = \"jscount\"\n[bus]\nrequest = [\"bounce.count\"]\n",
	})
	if out, errOut, code := orbitalCmd(t, "install", "--home", home, filepath.Join(testenv.RepoRoot(), "modules", "bounce")); code != 0 {
		t.Fatalf("install: exit %d: %s %s", code, out, errOut)
	}
	count := writeScript(t, "jscount.js", `function ask() {
  orbital.bus.request('bounce.count', '', {timeout: 2000})
    .then(m => { console.log('bounce says', m.text()); orbital.exit(0) },
          e => { if (e.code !== 'ERR_NOT_FOUND') throw e; setTimeout(ask, 20) })
}
ask()`)
	out, errOut, code := jsRun(t, home, "--headless", "--frames", "120", "bounce", count)
	if code != 0 || !regexp.MustCompile(`bounce says \{"balls":3,"frames":\d+\}`).MatchString(out) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	ps, _, _ := orbitalCmd(t, "ls", "--home", home)
	if !strings.Contains(ps, "bounce") {
		t.Fatalf("orbital ls:\n%s", ps)
	}
}

// TestScriptFetch: fetch() in a script goes through the host's http_fetch under the
// script's [net] policy: the listed 127.0.0.1 server answers (status, header, JSON body), the
// other is refused with a TypeError whose code is ERR_DENIED.
func TestScriptFetch(t *testing.T) {
	allowed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"method":%q,"who":%q}`, r.Method, r.Header.Get("X-Who"))
	}))
	defer allowed.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "other") }))
	defer other.Close()
	addr := strings.TrimPrefix(allowed.URL, "http://")
	home := scriptHome(t, map[string]string{"jsfetch.toml": "[module]\nmatch = \"jsfetch\"\n[net]\nallow = [\"" + addr + "\"]\n"})
	script := writeScript(t, "jsfetch.js", `(async () => {
  const r = await fetch('`+allowed.URL+`/x', {method: 'POST', headers: {'X-Who': 'js'}, body: 'b'})
  const j = await r.json()
  console.log(r.status, r.headers.get('content-type'), j.method, j.who)
  try { await fetch('`+other.URL+`/') } catch (e) { console.log(e.name, e.code) }
})()`)
	out, errOut, code := jsRun(t, home, script)
	if want := "200 application/json POST js\nTypeError ERR_DENIED\n"; code != 0 || out != want {
		t.Fatalf("exit %d, stdout %q (want %q), stderr %q", code, out, want, errOut)
	}
}
