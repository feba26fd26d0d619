package camera

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNoDevice(t *testing.T) {
	_, err := ListDevices(t.TempDir())
	if !errors.Is(err, ErrNoDevice) || err.Error() != "no camera device found: /dev/video* is empty" {
		t.Fatalf("err = %v", err)
	}
}

func TestNotAV4L2Device(t *testing.T) {
	dir := t.TempDir()
	// A character device that is not a camera: QUERYCAP fails with ENOTTY.
	if err := os.Symlink("/dev/null", filepath.Join(dir, "video0")); err != nil {
		t.Fatal(err)
	}
	_, err := ListDevices(dir)
	if !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "not a V4L2 device") {
		t.Fatalf("err = %v", err)
	}
	if _, err := OpenCapture(filepath.Join(dir, "video0"), 640, 480, 30); err == nil || !strings.Contains(err.Error(), "not a V4L2 device") {
		t.Fatalf("open: %v", err)
	}
	if _, err := OpenCapture(filepath.Join(dir, "video9"), 640, 480, 30); err == nil {
		t.Fatal("opened a missing node")
	}
}
