package main

import (
	"image"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// TestShellCompletion: typing part of a name in the real shell (Xvfb, real keys) lists what it
// could open under the bar; Down selects the first row and Enter opens it.
func TestShellCompletion(t *testing.T) {
	home := testenv.Home(t)
	sp := startShellHome(t, home)
	sp.waitForBar()
	list := image.Rect(150, e2eTopBarH-6, 800, e2eTopBarH+60) // where the first rows are drawn
	sp.mustXdotool("windowfocus", "--sync", sp.win)
	sp.mustXdotool("key", "--window", sp.win, "ctrl+l")
	sp.mustXdotool("type", "--delay", "15", "cloc")
	sp.waitFor(20*time.Second, "the completion list", func() bool {
		return countLight(sp.screen(), list) > 30 // the row's text
	})
	sp.mustXdotool("key", "Down")
	sp.waitFor(10*time.Second, "the first row selected", func() bool {
		_, n := pixelsOf(sp.screen(), list, e2eAccentSoft)
		return n > 2000
	})
	sp.mustXdotool("key", "Return")
	sp.waitFor(60*time.Second, "the clock window, the list gone", func() bool {
		img := sp.screen()
		f := lightBounds(img, desktop)
		_, n := pixelsOf(img, list, e2eAccentSoft)
		return f.Dx() > 200 && f.Dy() > 200 && n < 100
	})
	sp.running()
}
