//go:build wasip1

// Command firstframe opens a 320x240 window, fills it with one colour, presents that frame and
// waits until it is asked to quit. It is the Go side of the start-up benchmark
// (kernel BenchmarkScriptStart): the same picture drawn by a JavaScript script is measured
// beside it.
package main

import (
	"image/color"
	"os"

	"github.com/orbital/orbital/modules/sdk"
	"github.com/orbital/orbital/modules/sdk/canvas"
)

func main() {
	s, err := sdk.NewSurface(320, 240, "first frame")
	if err != nil {
		sdk.Errorf("firstframe: %v", err)
		os.Exit(1)
	}
	img := s.NewImage()
	canvas.Fill(img, img.Rect, color.RGBA{0x33, 0x66, 0x99, 255})
	if err := s.Present(img); err != nil {
		sdk.Errorf("firstframe: %v", err)
		os.Exit(1)
	}
	for {
		m, err := sdk.Recv(sdk.Forever)
		if err != nil || m.Kind == sdk.KindQuit {
			return
		}
	}
}
