package main

import (
	"image"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// TestShellOpensScript types the URL of the bounce demo's script (served by a local HTTP
// server) into the real shell's bar under Xvfb: the script runs in the JavaScript engine, its
// window animates, a click adds a ball where it lands and the space key pauses it.
func TestShellOpensScript(t *testing.T) {
	home := scriptHome(t, nil)
	testenv.Module(t, "js") // beside the demo modules the shell is given
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(bounceJS))))
	defer srv.Close()
	sp := startShellHome(t, home)
	sp.waitForBar()
	sp.typeInBar(srv.URL + "/bounce.js")

	var shot *image.RGBA
	var win image.Rectangle
	sp.waitFor(120*time.Second, "the bounce window (its yellow header)", func() bool {
		var ok bool
		shot = sp.screen()
		win, ok = findBounce(shot)
		return ok
	})
	field := image.Rect(win.Min.X, win.Min.Y+24, win.Max.X, win.Max.Y)
	sp.waitFor(10*time.Second, "the balls to move", func() bool {
		n, _ := changed(shot, sp.screen(), field)
		return n > 100
	})
	if n := countNear(sp.screen(), field, bounceBlue); n > 0 {
		t.Fatalf("%d blue pixels before any click: the fourth ball is there already", n)
	}
	// A click in the field adds the fourth ball, which is blue.
	sp.click(image.Pt(field.Min.X+field.Dx()/2, field.Min.Y+field.Dy()/2))
	sp.waitFor(10*time.Second, "a blue ball where the click landed", func() bool {
		return countNear(sp.screen(), field, bounceBlue) > 300
	})
	// The window has the keyboard since the click: space pauses the balls.
	sp.mustXdotool("key", "--window", sp.win, "space")
	var prev *image.RGBA
	sp.waitFor(10*time.Second, "the balls to stop (two pictures in a row alike)", func() bool {
		cur := sp.screen()
		still := prev != nil && func() bool { n, _ := changed(prev, cur, field); return n == 0 }()
		prev = cur
		return still
	})
	sp.running()
}
