//go:build wasip1

// Command paint is a small drawing program in a 640x480 window. Drag with the left button to
// draw a round brush stroke; click a colour in the palette along the top to choose it; scroll
// to change the brush size; the right button or the `c` key clears the paper. It presents a
// frame only when the picture changed. Resizing the window keeps the drawing and extends the paper.
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
	b := NewBoard(width, height)
	err = sdk.Run(s, 60, func(f *sdk.Frame) bool {
		for _, ev := range f.Events {
			if e, ok := ev.(sdk.Resize); ok && e.Width > 0 && e.Height > barHeight {
				if err := s.Resize(e.Width, e.Height); err != nil {
					sdk.Warnf("paint: %v", err)
					continue
				}
				b.Resize(e.Width, e.Height)
			}
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
