package main

import (
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
)

// runBusDemo runs the real binary on the bus demo modules (built from modules/) and returns
// stdout, stderr and the exit code.
func runBusDemo(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var modDir string
	for _, m := range []string{"pinger", "ponger", "producer", "viewer"} {
		modDir = filepath.Dir(testenv.Module(t, m))
	}
	return orbitalRun(t, []string{"ORBITAL_MODULES=" + modDir},
		append([]string{"run", "--home", testenv.Home(t), "--timeout", "90s"}, args...)...)
}

// TestBusPingPong: pinger measures 500 request/reply round trips to ponger through the real
// kernel and bus, then stops it; both exit 0.
func TestBusPingPong(t *testing.T) {
	out, errOut, code := runBusDemo(t, "ponger", "pinger", "--", "-n", "500")
	if code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	re := regexp.MustCompile(`pinger: 500 round trips on ponger\.ping: p50 ([0-9.]+)us p99 ([0-9.]+)us`)
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no round-trip summary in stdout %q", out)
	}
	p50, _ := strconv.ParseFloat(m[1], 64)
	p99, _ := strconv.ParseFloat(m[2], 64)
	if p50 <= 0 || p99 < p50 {
		t.Fatalf("implausible figures p50 %v p99 %v", p50, p99)
	}
	// 500 measured requests plus the probe that found ponger ready.
	if !strings.Contains(errOut, "ponger: answered 501 requests") {
		t.Fatalf("ponger did not report 501 answers: %s", errOut)
	}
	t.Logf("round trip through the binary: p50 %vus p99 %vus", p50, p99)
}

// TestBusDeniedTopic: the default policy grants pinger requests on ponger.> only; a request on
// another topic is refused by the bus's policy hook with ERR_DENIED, and pinger says so.
func TestBusDeniedTopic(t *testing.T) {
	// pinger, denied, publishes ponger.stop; under load that can come before ponger subscribed
	// to it, and then the timeout stops ponger: pinger's exit 1 must show either way.
	_, errOut, code := runBusDemo(t, "--timeout", "20s", "ponger", "pinger", "--", "-n", "5", "-topic", "secret.ping", "-wait", "2s")
	if code != 1 || !strings.Contains(errOut, "ERR_DENIED") {
		t.Fatalf("exit %d, want 1 with ERR_DENIED; stderr %s", code, errOut)
	}
}

// TestBusProducerViewer: producer publishes frames as transferred regions, viewer shows them;
// the screenshot holds the frame's background and its moving square.
func TestBusProducerViewer(t *testing.T) {
	shot := filepath.Join(t.TempDir(), "f.png")
	out, errOut, code := runBusDemo(t, "--headless", "--frames", "60", "--screenshot", shot, "producer", "viewer")
	if code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	m := regexp.MustCompile(`viewer: showed (\d+) frames`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("viewer did not report: %s", errOut)
	}
	if n, _ := strconv.Atoi(m[1]); n < 10 {
		t.Fatalf("viewer showed only %d frames", n)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	square, background := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			switch {
			case r>>8 == 255 && g>>8 == 0 && bl>>8 == 255: // producer's Square
				square++
			case r>>8 == 20 && g>>8 == 120 && bl>>8 == 200: // producer's Background
				background++
			}
		}
	}
	// The frame is 320x240: a 40x40 square on a background that covers the rest but a
	// 16-pixel band.
	if square != 40*40 || background < 320*200 {
		t.Fatalf("screenshot has %d square and %d background pixels; want 1600 and >= 64000", square, background)
	}
}
