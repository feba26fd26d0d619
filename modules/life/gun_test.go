package main

import "testing"

// The Gosper gun has period 30 and emits one glider (5 cells) per period.
func TestGliderGun(t *testing.T) {
	w := NewWorld(gridW, gridH)
	w.Stamp(2, 2, gosperGun)
	if p := w.Population(); p != 36 {
		t.Fatalf("gun has %d cells, want 36", p)
	}
	for range 60 {
		w.Step()
	}
	if p := w.Population(); p != 36+2*5 {
		t.Fatalf("after 60 generations %d cells, want the gun and two gliders (46)", p)
	}
}
