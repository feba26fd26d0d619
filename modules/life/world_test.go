package main

import (
	"image"
	"slices"
	"testing"
)

func live(w *World) []image.Point {
	var ps []image.Point
	for y := 0; y < w.H; y++ {
		for x := 0; x < w.W; x++ {
			if w.Alive(x, y) {
				ps = append(ps, image.Pt(x, y))
			}
		}
	}
	return ps
}

func TestBlinkerOscillates(t *testing.T) {
	w := NewWorld(8, 8)
	w.Stamp(2, 3, []string{"OOO"})
	w.Step()
	want := []image.Point{{3, 2}, {3, 3}, {3, 4}}
	if got := live(w); !slices.Equal(got, want) {
		t.Fatalf("after one step %v, want %v", got, want)
	}
	w.Step()
	if got := live(w); !slices.Equal(got, []image.Point{{2, 3}, {3, 3}, {4, 3}}) {
		t.Fatalf("after two steps %v", got)
	}
}

func TestGliderWrapsAround(t *testing.T) {
	w := NewWorld(10, 10)
	w.Stamp(7, 7, glider)
	start := live(w)
	// A glider moves one cell down-right every 4 generations; after 40 it has crossed the
	// 10x10 torus once and is back where it began.
	for range 40 {
		w.Step()
	}
	if got := live(w); !slices.Equal(got, start) {
		t.Fatalf("after 40 steps %v, want %v", got, start)
	}
	if w.Population() != 5 {
		t.Fatalf("population %d", w.Population())
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	a, b, c := NewWorld(gridW, gridH), NewWorld(gridW, gridH), NewWorld(gridW, gridH)
	a.Seed(7)
	b.Seed(7)
	c.Seed(8)
	if !slices.Equal(a.cells, b.cells) {
		t.Fatal("same seed, different worlds")
	}
	if slices.Equal(a.cells, c.cells) {
		t.Fatal("different seeds, same world")
	}
	if !a.Alive(2+24, 2) { // the tip of the glider gun
		t.Fatal("glider gun missing")
	}
}

func TestToggleAndDraw(t *testing.T) {
	w := NewWorld(gridW, gridH)
	w.Toggle(CellAt(41, 22)) // cell (10, 5)
	if !w.Alive(10, 5) {
		t.Fatal("toggle did not set the cell")
	}
	img := image.NewRGBA(image.Rect(0, 0, gridW*scale, gridH*scale))
	Draw(img, w, true)
	if img.RGBAAt(41, 21) != liveCell || img.RGBAAt(45, 21) != background {
		t.Fatalf("drawn cell %v, neighbour %v", img.RGBAAt(41, 21), img.RGBAAt(45, 21))
	}
	if img.RGBAAt(img.Rect.Max.X-25, 15) != pauseMark {
		t.Fatal("pause sign missing")
	}
	w.Toggle(-118, 101) // wraps to (10, 5)
	if w.Alive(10, 5) {
		t.Fatal("toggle through wrapped coordinates missed the cell")
	}
}
