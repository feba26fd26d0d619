//go:build wasip1

// Command clock shows an analog clock in a 320x320 window: a light face with minute and hour
// ticks, dark hour and minute hands and a red second hand that sweeps smoothly at 30 frames a
// second. It reads the host's wall clock (time_wall) every frame, and redraws at the new size
// when its window is resized.
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
	clock := NewClock(size, size)
	err = sdk.Run(s, 30, func(f *sdk.Frame) bool {
		for _, ev := range f.Events {
			if e, ok := ev.(sdk.Resize); ok && e.Width > 0 && e.Height > 0 {
				if err := s.Resize(e.Width, e.Height); err != nil {
					sdk.Warnf("clock: %v", err)
					continue
				}
				clock = NewClock(e.Width, e.Height)
			}
		}
		f.Present(clock.Frame(sdk.WallTime()))
		return true
	})
	if err != nil {
		sdk.Errorf("clock: %v", err)
		os.Exit(1)
	}
}
