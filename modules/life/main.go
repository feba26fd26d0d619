//go:build wasip1

// Command life runs Conway's game of life on a 128x96 wrapping grid, drawn 4x in a 512x384
// window at about 15 generations a second. It starts from a glider gun, a pulsar, a spaceship,
// gliders and a random soup; `--seed N` makes the soup the same every run. Click a cell to
// toggle it; space pauses and resumes.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

const generation = time.Second / 15

func main() {
	fs := flag.NewFlagSet("life", flag.ContinueOnError)
	seed := fs.Uint64("seed", uint64(sdk.WallTime().UnixNano()), "seed of the random soup (same seed, same world)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "life: %v\n", err)
		os.Exit(2)
	}
	world := NewWorld(gridW, gridH)
	world.Seed(*seed)
	sdk.Infof("life: seed %d, %d live cells", *seed, world.Population())

	s, err := sdk.NewSurface(gridW*scale, gridH*scale, "Life")
	if err != nil {
		sdk.Errorf("life: %v", err)
		os.Exit(1)
	}
	img := s.NewImage()
	paused, dirty := false, true
	var due time.Duration
	err = sdk.Run(s, 30, func(f *sdk.Frame) bool {
		for _, ev := range f.Events {
			switch e := ev.(type) {
			case sdk.MouseDown:
				if e.Button == sdk.ButtonLeft {
					world.Toggle(CellAt(e.X, e.Y))
					dirty = true
				}
			case sdk.KeyDown:
				if e.Key == sdk.KeySpace {
					paused, dirty = !paused, true
				}
			}
		}
		if f.N == 0 {
			due = f.Time
		}
		if !paused && f.Time >= due {
			world.Step()
			dirty = true
			due += generation
			if due < f.Time {
				due = f.Time + generation
			}
		}
		if dirty {
			Draw(img, world, paused)
			dirty = f.Present(img) != nil
		}
		return true
	})
	if err != nil {
		sdk.Errorf("life: %v", err)
		os.Exit(1)
	}
}
