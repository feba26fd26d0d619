//go:build wasip1

// Command clock shows an analog clock in a 320x320 window: a light face with minute and hour
// ticks, dark hour and minute hands and a red second hand that sweeps smoothly at 30 frames a
// second. It reads the host's wall clock (time_wall) every frame.
package main

import (
	"os"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	s, err := sdk.NewSurface(size, size, "Clock")
	if err != nil {
		sdk.Errorf("clock: %v", err)
		os.Exit(1)
	}
	dial := drawDial()
	frame := s.NewImage()
	err = sdk.Run(s, 30, func(f *sdk.Frame) bool {
		copy(frame.Pix, dial.Pix)
		drawHands(frame, sdk.WallTime())
		f.Present(frame)
		return true
	})
	if err != nil {
		sdk.Errorf("clock: %v", err)
		os.Exit(1)
	}
}
