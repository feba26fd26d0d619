package main

import (
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbital/orbital/drivers/camera"
	"github.com/orbital/orbital/internal/testenv"
)

// TestCameraViewerScreenshot is the whole chain: `orbital run` starts the installed camera
// driver (a native process, digest-checked, sandboxed), the camera-viewer WASM module lists
// cameras and opens the test pattern over the bus, frames travel in the driver's shared memory
// regions, the viewer copies each into its surface, and the headless compositor's screenshot
// shows the pattern with its frame counter, which advances between a short and a long run.
func TestCameraViewerScreenshot(t *testing.T) {
	home := testenv.Home(t)
	testenv.Module(t, "camera-viewer")
	if _, errOut, code := cli(t, "install", "-q", "--home", home, cameraPackage(t, true)); code != 0 {
		t.Fatalf("install: %d %s", code, errOut)
	}
	counter := func(frames string) uint64 {
		t.Helper()
		shot := filepath.Join(t.TempDir(), "viewer.png")
		out, errOut, code := cli(t, "run", "--home", home, "--headless", "--frames", frames, "--screenshot", shot, "camera-viewer")
		if code != 0 || !strings.Contains(errOut, "showing test (640x480)") {
			t.Fatalf("run: %d\n%s\n%s", code, out, errOut)
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
		rgba := image.NewRGBA(img.Bounds())
		draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
		n, ok := camera.FindCounter(rgba)
		if !ok {
			t.Fatalf("no frame counter in the screenshot %s\n%s", shot, errOut)
		}
		return n
	}
	early, late := counter("6"), counter("60")
	if early == 0 || late <= early {
		t.Fatalf("frame counter did not advance: %d after 6 frames, %d after 60", early, late)
	}
	t.Logf("counter %d after 6 composed frames, %d after 60", early, late)
}
