package main

import (
	"flag"
	"image/png"
	"os"
	"testing"

	"github.com/orbital/orbital/modules/sdk"
)

var out = flag.String("png", "", "write the board after the drawing test to this PNG file")

func drag(b *Board, button sdk.Button, pts ...[2]int) {
	b.Handle(sdk.MouseDown{Surface: 1, X: pts[0][0], Y: pts[0][1], Button: button})
	for _, p := range pts[1:] {
		b.Handle(sdk.MouseMove{Surface: 1, X: p[0], Y: p[1]})
	}
	last := pts[len(pts)-1]
	b.Handle(sdk.MouseUp{Surface: 1, X: last[0], Y: last[1], Button: button})
}

func TestStrokeIsConnected(t *testing.T) {
	b := NewBoard(width, height)
	if !b.Dirty() {
		t.Fatal("a new board must be presented once")
	}
	b.Presented()
	// Far-apart move events still make one unbroken line.
	drag(b, sdk.ButtonLeft, [2]int{100, 200}, [2]int{300, 200}, [2]int{300, 400})
	if !b.Dirty() {
		t.Fatal("drawing did not mark the board dirty")
	}
	for x := 100; x <= 300; x++ {
		if c := b.Image().RGBAAt(x, 200); c != palette[0] {
			t.Fatalf("gap in the stroke at (%d, 200): %v", x, c)
		}
	}
	for y := 200; y <= 400; y++ {
		if c := b.Image().RGBAAt(300, y); c != palette[0] {
			t.Fatalf("gap in the stroke at (300, %d): %v", y, c)
		}
	}
	if c := b.Image().RGBAAt(200, 300); c != paper {
		t.Fatalf("paint outside the stroke: %v", c)
	}
	// Moving without the button held draws nothing.
	b.Presented()
	b.Handle(sdk.MouseMove{Surface: 1, X: 50, Y: 50})
	if b.Dirty() {
		t.Fatal("hovering marked the board dirty")
	}
}

func TestPaletteAndClear(t *testing.T) {
	b := NewBoard(width, height)
	red := 3
	r := swatch(red)
	b.Handle(sdk.MouseDown{Surface: 1, X: r.Min.X + 5, Y: r.Min.Y + 5, Button: sdk.ButtonLeft})
	b.Handle(sdk.MouseUp{Surface: 1, X: r.Min.X + 5, Y: r.Min.Y + 5, Button: sdk.ButtonLeft})
	if b.color != red {
		t.Fatalf("clicking swatch %d chose colour %d", red, b.color)
	}
	drag(b, sdk.ButtonLeft, [2]int{20, 100}, [2]int{600, 460})
	if c := b.Image().RGBAAt(20, 100); c != palette[red] {
		t.Fatalf("stroke colour %v, want red", c)
	}
	// A stroke dragged up into the bar must not paint over the palette.
	drag(b, sdk.ButtonLeft, [2]int{r.Min.X + 5, 100}, [2]int{r.Min.X + 5, 0})
	if c := b.Image().RGBAAt(r.Min.X+5, 2); c != bar {
		t.Fatalf("stroke leaked into the palette bar: %v", c)
	}
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, b.Image())
		f.Close()
	}
	for _, clear := range []sdk.Event{
		sdk.MouseDown{Surface: 1, X: 300, Y: 300, Button: sdk.ButtonRight},
		sdk.Char{Surface: 1, Rune: 'c'},
		sdk.KeyDown{Surface: 1, Key: 'C'},
	} {
		drag(b, sdk.ButtonLeft, [2]int{20, 100}, [2]int{600, 460})
		b.Presented()
		b.Handle(clear)
		if c := b.Image().RGBAAt(20, 100); c != paper || !b.Dirty() {
			t.Fatalf("%#v did not clear: %v dirty=%v", clear, c, b.Dirty())
		}
	}
}

func TestScrollChangesBrush(t *testing.T) {
	b := NewBoard(width, height)
	w := b.brush
	b.Handle(sdk.Scroll{Surface: 1, DY: 1})
	if b.brush != w+1 {
		t.Fatalf("brush %v after scrolling up from %v", b.brush, w)
	}
	for range 100 {
		b.Handle(sdk.Scroll{Surface: 1, DY: -1})
	}
	if b.brush != minBrush {
		t.Fatalf("brush %v, want the minimum %v", b.brush, minBrush)
	}
}

func TestResizeKeepsTheDrawing(t *testing.T) {
	b := NewBoard(width, height)
	drag(b, sdk.ButtonLeft, [2]int{100, 100}, [2]int{200, 100})
	b.Presented()
	b.Resize(800, 300)
	img := b.Image()
	if img.Rect.Dx() != 800 || img.Rect.Dy() != 300 || !b.Dirty() {
		t.Fatalf("after Resize: %v dirty=%v", img.Rect, b.Dirty())
	}
	if img.RGBAAt(150, 100) != palette[0] {
		t.Fatalf("the stroke was lost: %v", img.RGBAAt(150, 100))
	}
	if img.RGBAAt(700, 200) != paper || img.RGBAAt(700, 10) != bar {
		t.Fatalf("new area: paper %v, bar %v", img.RGBAAt(700, 200), img.RGBAAt(700, 10))
	}
	drag(b, sdk.ButtonLeft, [2]int{700, 200}, [2]int{790, 290})
	if img := b.Image(); img.RGBAAt(790, 290) != palette[0] {
		t.Fatalf("cannot draw in the new area: %v", img.RGBAAt(790, 290))
	}
}
