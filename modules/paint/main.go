//go:build wasip1

// Command paint is a small drawing program in a 640x480 window. Drag with the left button to
// draw a round brush stroke; click a colour in the palette along the top to choose it; scroll
// to change the brush size; the right button or the `c` key clears the paper. It presents a
// frame only when the picture changed.
package main

import (
	"os"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	s, err := sdk.NewSurface(width, height, "Paint")
	if err != nil {
		sdk.Errorf("paint: %v", err)
		os.Exit(1)
	}
	b := NewBoard()
	err = sdk.Run(s, 60, func(f *sdk.Frame) bool {
		for _, ev := range f.Events {
			b.Handle(ev)
		}
		if b.Dirty() {
			if f.Present(b.Image()) == nil {
				b.Presented()
			}
		}
		return true
	})
	if err != nil {
		sdk.Errorf("paint: %v", err)
		os.Exit(1)
	}
}
