package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/internal/testenv"
)

// The harness of the shell's end-to-end tests: the real binary on a private Xvfb display,
// driven with real X input events (xdotool) and checked from screenshots of the X display
// (ImageMagick's import), decoded with image/png.

// Layout figures of the shell (shell/theme.go), in window pixels.
const (
	e2eTopBarH  = 56
	e2eErrLineH = 30
	e2eStripH   = 44
)

// shellProc is a running `orbital shell` on an Xvfb display.
type shellProc struct {
	t       *testing.T
	display string
	cmd     *exec.Cmd
	stderr  *testenv.SyncBuffer
	exited  chan struct{}
	home    string
	win     string      // X window id
	origin  image.Point // window position on the screen
}

// startShell starts the real binary's shell on a fresh Xvfb display with the demo modules
// available and a fresh home, and waits for its window.
func startShell(t *testing.T, args ...string) *shellProc {
	t.Helper()
	return startShellHome(t, testenv.Home(t), args...)
}

// startShellHome is startShell with a home the test prepared.
func startShellHome(t *testing.T, home string, args ...string) *shellProc {
	t.Helper()
	for _, tool := range []string{"xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (make deps installs xdotool and imagemagick): %v", tool, err)
		}
	}
	bin := testenv.Binary(t)
	modDir := filepath.Dir(testenv.Module(t, "clock"))
	testenv.Module(t, "paint")
	testenv.Module(t, "life")
	display := testenv.Xvfb(t)
	sp := &shellProc{t: t, display: display, home: home, stderr: &testenv.SyncBuffer{}, exited: make(chan struct{})}
	sp.cmd = exec.Command(bin, append([]string{"shell", "--home", home}, args...)...)
	sp.cmd.Env = append(os.Environ(), "DISPLAY="+display, "ORBITAL_MODULES="+modDir)
	sp.cmd.Stdout, sp.cmd.Stderr = sp.stderr, sp.stderr
	if err := sp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { sp.cmd.Wait(); close(sp.exited) }()
	t.Cleanup(func() {
		sp.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-sp.exited:
		case <-time.After(10 * time.Second):
			sp.cmd.Process.Kill()
			<-sp.exited
		}
		if t.Failed() {
			t.Logf("shell output:\n%s", sp.stderr.String())
		}
	})
	sp.waitFor(20*time.Second, "the Orbital window", func() bool {
		out, err := sp.xdotool("search", "--onlyvisible", "--name", "^Orbital$")
		if err != nil {
			return false
		}
		sp.win = strings.Fields(out)[0]
		return true
	})
	geo, err := sp.xdotool("getwindowgeometry", sp.win)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Position: (-?\d+),(-?\d+)`).FindStringSubmatch(geo)
	if m == nil {
		t.Fatalf("xdotool getwindowgeometry: no position in %q", geo)
	}
	sp.origin.X, _ = strconv.Atoi(m[1])
	sp.origin.Y, _ = strconv.Atoi(m[2])
	return sp
}

// diagnose logs what the shell's processes are doing (orbital ps over the control socket) and
// makes the shell dump its goroutines (SIGQUIT) into its output, which the cleanup prints.
func (sp *shellProc) diagnose() {
	ps := exec.Command(testenv.Binary(sp.t), "ps", "--home", sp.home)
	out, err := ps.CombinedOutput()
	sp.t.Logf("orbital ps (%v):\n%s", err, out)
	sp.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-sp.exited:
	case <-time.After(5 * time.Second):
	}
}

func (sp *shellProc) xdotool(args ...string) (string, error) {
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+sp.display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("xdotool %v: %v: %s", args, err, out)
	}
	return string(out), nil
}

func (sp *shellProc) mustXdotool(args ...string) {
	sp.t.Helper()
	if _, err := sp.xdotool(args...); err != nil {
		sp.t.Fatal(err)
	}
}

// running fails the test if the shell has exited.
func (sp *shellProc) running() {
	sp.t.Helper()
	select {
	case <-sp.exited:
		sp.t.Fatalf("the shell exited: %v\n%s", sp.cmd.ProcessState, sp.stderr.String())
	default:
	}
}

// waitFor polls cond until it holds, failing the test after d (or when the shell exits).
func (sp *shellProc) waitFor(d time.Duration, what string, cond func() bool) {
	sp.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		sp.running()
		if time.Now().After(deadline) {
			shot := savePNG(sp.t, sp.screen())
			sp.diagnose()
			sp.t.Fatalf("timed out after %v waiting for %s (screen: %s)", d, what, shot)
		}
		time.Sleep(100 * time.Millisecond) // poll interval, not a wait for a condition
	}
}

// screen grabs the X display and returns the shell window's pixels (window coordinates).
func (sp *shellProc) screen() *image.RGBA {
	sp.t.Helper()
	cmd := exec.Command("import", "-window", "root", "png:-")
	cmd.Env = append(os.Environ(), "DISPLAY="+sp.display)
	out, err := cmd.Output()
	if err != nil {
		sp.t.Fatalf("import -window root: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		sp.t.Fatalf("decode screenshot: %v", err)
	}
	r := image.Rect(0, 0, 1280, 800).Add(sp.origin).Intersect(img.Bounds())
	rgba := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			rgba.Set(x, y, img.At(r.Min.X+x, r.Min.Y+y))
		}
	}
	return rgba
}

// focusAndType focuses the window, then types text into the URL bar and presses Return.
func (sp *shellProc) typeInBar(text string) {
	sp.t.Helper()
	sp.mustXdotool("windowfocus", "--sync", sp.win)
	sp.mustXdotool("key", "--window", sp.win, "ctrl+l")
	sp.mustXdotool("type", "--delay", "15", text)
	sp.mustXdotool("key", "Return")
}

// waitForBar waits until the shell has drawn its bar ("Orbital" in white at the left) and
// returns the screen it saw then.
func (sp *shellProc) waitForBar() *image.RGBA {
	sp.t.Helper()
	var img *image.RGBA
	sp.waitFor(20*time.Second, "the shell to draw its bar", func() bool {
		img = sp.screen()
		return countLight(img, image.Rect(0, 0, 160, e2eTopBarH)) > 20
	})
	return img
}

// click moves the pointer to window point p and clicks the left button.
func (sp *shellProc) click(p image.Point) {
	sp.t.Helper()
	q := p.Add(sp.origin)
	sp.mustXdotool("mousemove", "--sync", strconv.Itoa(q.X), strconv.Itoa(q.Y))
	sp.mustXdotool("click", "1")
}

// desktop is the area between the bar and the task strip.
var desktop = image.Rect(0, e2eTopBarH+e2eErrLineH, 1280, 800-e2eStripH)

// changed counts the pixels of r that differ noticeably between a and b.
func changed(a, b *image.RGBA, r image.Rectangle) (n int, bounds image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if colourDist(a.RGBAAt(x, y), b.RGBAAt(x, y)) > 40 {
				n++
				bounds = bounds.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return n, bounds
}

func colourDist(a, b color.RGBA) int {
	d := func(x, y uint8) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return d(a.R, b.R) + d(a.G, b.G) + d(a.B, b.B)
}

// countLight counts near-white pixels in r (the clock's face, the paint paper).
func countLight(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := img.RGBAAt(x, y); c.R > 220 && c.G > 220 && c.B > 220 {
				n++
			}
		}
	}
	return n
}

// errorLineShown reports whether the red error line is drawn under the bar: its red edge at
// the left.
func errorLineShown(img *image.RGBA) bool {
	red := 0
	for y := e2eTopBarH + 4; y < e2eTopBarH+e2eErrLineH-4; y++ {
		if c := img.RGBAAt(1, y); c.R > 200 && c.G < 120 && c.B < 130 {
			red++
		}
	}
	return red > e2eErrLineH/2
}

// output returns the stdout and stderr lines the shell's processes wrote, in pid order, read
// from the instance's log book over its control socket: a program without a window of its own
// writes into its console window and the log book, not the shell's terminal. It stops at the
// third pid in a row that never wrote anything.
func (sp *shellProc) output() string {
	sp.t.Helper()
	c := admin.ControlClient{Path: admin.ControlSocketPath(sp.home)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var b strings.Builder
	for pid, misses := uint32(1), 0; misses < 3; pid++ {
		lines, err := c.Logs(ctx, pid, 1000)
		if err != nil || len(lines) == 0 {
			misses++
			continue
		}
		misses = 0
		for _, l := range lines {
			if l.Stream == "stdout" || l.Stream == "stderr" {
				fmt.Fprintf(&b, "%d %s %s\n", pid, l.Stream, l.Text)
			}
		}
	}
	return b.String()
}

// stop ends the shell (SIGTERM) and waits for it.
func (sp *shellProc) stop() {
	sp.t.Helper()
	sp.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-sp.exited:
	case <-time.After(15 * time.Second):
		sp.t.Fatal("the shell did not exit after SIGTERM")
	}
}
