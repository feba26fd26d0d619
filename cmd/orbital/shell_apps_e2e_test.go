package main

import (
	"image"
	"image/color"
	"testing"
	"time"

	"github.com/orbital/orbital/console"
	"github.com/orbital/orbital/internal/testenv"
)

// The shell's end-to-end tests of issue 14 under Xvfb: a WASM-4 cart played with key presses,
// and a console window typed into.

// TestShellPlaysCart opens a cart, holds Right with xdotool and sees its box move; Left moves
// it back.
func TestShellPlaysCart(t *testing.T) {
	cart := writeWAT(t, "mover.wasm", runCartWAT)
	sp := startShell(t, "--open", cart)
	var win image.Rectangle
	sp.waitFor(60*time.Second, "the cart's 480x480 window", func() bool {
		win = colourBounds(sp.screen(), desktop, cartLight)
		return win.Dx() == 480 && win.Dy() == 480
	})
	box := func() image.Rectangle { return colourBounds(sp.screen(), win, cartDark) }
	start := box()
	if start.Dx() != 60 || start.Dy() != 60 {
		t.Fatalf("the cart's box is %v, want 60x60 (screen: %s)", start, savePNG(t, sp.screen()))
	}
	sp.mustXdotool("windowfocus", "--sync", sp.win)
	sp.mustXdotool("keydown", "Right")
	sp.waitFor(10*time.Second, "the box to move right while Right is held", func() bool {
		return box().Min.X > start.Min.X+30
	})
	sp.mustXdotool("keyup", "Right")
	moved := box()
	sp.mustXdotool("keydown", "Left")
	sp.waitFor(10*time.Second, "the box to move left while Left is held", func() bool {
		return box().Min.X < moved.Min.X-30
	})
	sp.mustXdotool("keyup", "Left")
	sp.running()
}

// TestShellConsoleCat opens cat (a WASI program without a window) from the bar: it gets a
// console window; a typed line is echoed while typed and printed again by cat; Ctrl+D ends
// cat's input and the window stays with the exit status; Ctrl+W closes it.
func TestShellConsoleCat(t *testing.T) {
	testenv.Module(t, "cat")
	sp := startShellHome(t, testenv.Home(t), "--open", "cat")
	face, err := console.NewFace(14)
	if err != nil {
		t.Fatal(err)
	}
	bg := color.RGBA{0x1c, 0x1e, 0x24, 0xff}
	var win image.Rectangle
	sp.waitFor(60*time.Second, "the console window", func() bool {
		win = colourBounds(sp.screen(), desktop, bg)
		return win.Dx() > 80*face.W && win.Dy() > 24*face.H
	})
	row := func(img *image.RGBA, n int) image.Rectangle { // the first 5 cells of text row n
		p := win.Min.Add(image.Pt(console.Pad, console.Pad+n*face.H))
		return image.Rectangle{Min: p, Max: p.Add(image.Pt(5*face.W, face.H))}
	}
	inked := func(img *image.RGBA, r image.Rectangle) int { return r.Dx()*r.Dy() - countColour(img, r, bg) }
	sp.mustXdotool("windowfocus", "--sync", sp.win)
	sp.mustXdotool("type", "--delay", "30", "hello")
	sp.mustXdotool("key", "Return")
	var shot *image.RGBA
	sp.waitFor(20*time.Second, "hello echoed on row 0 and printed by cat on row 1", func() bool {
		shot = sp.screen()
		a, b := row(shot, 0), row(shot, 1)
		return inked(shot, a) > 40 && sameImage(shot, a, b)
	})
	sp.mustXdotool("key", "ctrl+d")
	sp.waitFor(20*time.Second, "the exit status under cat's output", func() bool {
		shot = sp.screen()
		return inked(shot, row(shot, 3)) > 40
	})
	if !sameImage(shot, row(shot, 0), row(shot, 1)) || colourBounds(shot, desktop, bg) != win {
		t.Fatalf("the console changed after cat ended (screen: %s)", savePNG(t, shot))
	}
	sp.mustXdotool("key", "ctrl+w")
	sp.waitFor(20*time.Second, "the console window to close on Ctrl+W", func() bool {
		return colourBounds(sp.screen(), desktop, bg).Dx() < 100
	})
	sp.running()
}

func countColour(img *image.RGBA, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

// sameImage reports whether rectangles a and b (the same size) hold the same pixels.
func sameImage(img *image.RGBA, a, b image.Rectangle) bool {
	for y := 0; y < a.Dy(); y++ {
		for x := 0; x < a.Dx(); x++ {
			if img.RGBAAt(a.Min.X+x, a.Min.Y+y) != img.RGBAAt(b.Min.X+x, b.Min.Y+y) {
				return false
			}
		}
	}
	return true
}
