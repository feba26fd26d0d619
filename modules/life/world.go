package main

import "math/rand/v2"

// World is a Conway's game of life grid whose edges wrap around (a torus).
type World struct {
	W, H  int
	cells []bool
	next  []bool
}

// NewWorld returns an empty w x h world.
func NewWorld(w, h int) *World {
	return &World{W: w, H: h, cells: make([]bool, w*h), next: make([]bool, w*h)}
}

// Alive reports whether the cell at (x, y) lives; coordinates wrap.
func (w *World) Alive(x, y int) bool { return w.cells[w.index(x, y)] }

// Set makes the cell at (x, y) live or dead.
func (w *World) Set(x, y int, alive bool) { w.cells[w.index(x, y)] = alive }

// Toggle flips the cell at (x, y).
func (w *World) Toggle(x, y int) { i := w.index(x, y); w.cells[i] = !w.cells[i] }

// Population counts the live cells.
func (w *World) Population() int {
	n := 0
	for _, c := range w.cells {
		if c {
			n++
		}
	}
	return n
}

func (w *World) index(x, y int) int {
	x, y = (x%w.W+w.W)%w.W, (y%w.H+w.H)%w.H
	return y*w.W + x
}

// Step advances one generation: a live cell with two or three live neighbours lives on, a
// dead cell with exactly three becomes live, every other cell is dead.
func (w *World) Step() {
	for y := 0; y < w.H; y++ {
		up, down := (y+w.H-1)%w.H*w.W, (y+1)%w.H*w.W
		row := y * w.W
		for x := 0; x < w.W; x++ {
			l, r := (x+w.W-1)%w.W, (x+1)%w.W
			n := 0
			for _, i := range [8]int{up + l, up + x, up + r, row + l, row + r, down + l, down + x, down + r} {
				if w.cells[i] {
					n++
				}
			}
			w.next[row+x] = n == 3 || n == 2 && w.cells[row+x]
		}
	}
	w.cells, w.next = w.next, w.cells
}

// Stamp draws pattern (rows of '.' dead and 'O' live) with its top-left corner at (x, y).
func (w *World) Stamp(x, y int, pattern []string) {
	for dy, row := range pattern {
		for dx, c := range row {
			if c == 'O' {
				w.Set(x+dx, y+dy, true)
			}
		}
	}
}

// Known patterns.
var (
	glider = []string{".O.", "..O", "OOO"}
	lwss   = []string{".O..O", "O....", "O...O", "OOOO."}
	rPent  = []string{".OO", "OO.", ".O."}
	pulsar = []string{
		"..OOO...OOO..",
		".............",
		"O....O.O....O",
		"O....O.O....O",
		"O....O.O....O",
		"..OOO...OOO..",
		".............",
		"..OOO...OOO..",
		"O....O.O....O",
		"O....O.O....O",
		"O....O.O....O",
		".............",
		"..OOO...OOO..",
	}
	gosperGun = []string{
		"........................O...........",
		"......................O.O...........",
		"............OO......OO............OO",
		"...........O...O....OO............OO",
		"OO........O.....O...OO..............",
		"OO........O...O.OO....O.O...........",
		"..........O.....O.......O...........",
		"...........O...O....................",
		"............OO......................",
	}
)

// Seed fills the world: a Gosper glider gun, a pulsar, a spaceship and gliders in the top half,
// and a random soup (a quarter of the cells live) in the bottom half, drawn from seed so the
// same seed always gives the same world. The soup keeps a few rows clear above and below, so
// it does not wrap straight into the glider gun.
func (w *World) Seed(seed uint64) {
	clear(w.cells)
	w.Stamp(2, 2, gosperGun)
	w.Stamp(w.W-20, 4, pulsar)
	w.Stamp(60, 20, lwss)
	w.Stamp(w.W/2, w.H/4, rPent)
	for i := 0; i < 4; i++ {
		w.Stamp(10+i*12, 26+i%2*6, glider)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for y := w.H/2 + 4; y < w.H-6; y++ {
		for x := 0; x < w.W; x++ {
			if rng.IntN(4) == 0 {
				w.Set(x, y, true)
			}
		}
	}
}
