package main

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
)

// badgeRows counts the table rows of the admin module in img: rows whose state badge has the
// running or blocked colours (modules/admin/draw.go), grouped in bands of consecutive lines.
func badgeRows(img image.Image) int {
	b := img.Bounds()
	rows, gap := 0, 99 // gap: lines since the last badge line; a row's badge has glyph lines in it
	for y := b.Min.Y; y < b.Max.Y; y++ {
		found := 0
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := [3]uint32{r >> 8, g >> 8, bl >> 8}
			if c == [3]uint32{0xe6, 0xf4, 0xea} || c == [3]uint32{0xff, 0xf4, 0xe0} {
				found++
			}
		}
		if found >= 8 {
			if gap > 4 {
				rows++
			}
			gap = 0
		} else {
			gap++
		}
	}
	return rows
}

// TestAdminModuleDrawsTable runs the admin module (orbital://admin in the shell) beside a
// windowless service and checks its table shows a row for Orbital itself and each module. (No
// other windows: in a headless run they would overlap the panel.)
func TestAdminModuleDrawsTable(t *testing.T) {
	home := testenv.Home(t)
	testenv.Module(t, "admin")
	testenv.Module(t, "ponger")
	shot := filepath.Join(t.TempDir(), "admin.png")
	_, errOut, code := orbital(t, home, "--headless", "--frames", "3", "--size", "1280x800", "--screenshot", shot, "ponger", "admin")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
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
	// The panel presents about once a second, when it has polled sys.ps: by its third frame it
	// lists orbital run itself, ponger and admin.
	if n := badgeRows(img); n != 3 {
		t.Fatalf("the admin table shows %d running rows, want 3 (kernel, ponger, admin); stderr:\n%s", n, errOut)
	}
}
