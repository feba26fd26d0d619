//go:build wasip1

// Command viewer shows the frames producer publishes: it subscribes to frames.* (lossy: when it
// falls behind, old frames are dropped, never the producer stalled), reads each frame's region
// into its image with one copy, releases the region and presents the newest frame.
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"os"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	w := flag.Int("w", 320, "window width")
	h := flag.Int("h", 240, "window height")
	pattern := flag.String("topic", "frames.*", "topic pattern to show frames from")
	flag.Parse()
	if err := run(*w, *h, *pattern); err != nil {
		fmt.Fprintln(os.Stderr, "viewer:", err)
		sdk.Errorf("viewer: %v", err)
		os.Exit(1)
	}
}

func run(w, h int, pattern string) error {
	if _, err := sdk.Subscribe(pattern, sdk.Lossy); err != nil {
		return err
	}
	s, err := sdk.NewSurface(w, h, "Viewer")
	if err != nil {
		return err
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	waiting(img)
	shown := 0
	err = sdk.Run(s, 0, func(f *sdk.Frame) bool {
		got := false
		for _, m := range f.Messages {
			if show(m, img) {
				got = true
			}
		}
		if got || f.N == 0 {
			if f.Present(img) == nil && got {
				shown++
			}
		}
		return true
	})
	sdk.Logf(sdk.Info, "viewer: showed %d frames", shown)
	if errors.Is(err, sdk.ErrClosed) {
		return nil
	}
	return err
}

// show copies the frame m carries into img and releases every region m holds. It reports
// whether img changed.
func show(m sdk.Message, img *image.RGBA) bool {
	regions := m.RegionList()
	defer func() {
		for _, r := range regions {
			r.Release()
		}
	}()
	if m.Kind != sdk.KindPublish || len(regions) == 0 {
		return false
	}
	hd, err := parseHeader(m.Payload)
	if err != nil {
		sdk.Warnf("viewer: %s: %v", m.Topic, err)
		return false
	}
	b := img.Bounds()
	if hd.W != b.Dx() || hd.H != b.Dy() {
		sdk.Warnf("viewer: frame %d is %dx%d, the window %dx%d; skipped", hd.N, hd.W, hd.H, b.Dx(), b.Dy())
		return false
	}
	if _, err := regions[0].ReadAt(img.Pix, 0); err != nil {
		sdk.Warnf("viewer: frame %d: %v", hd.N, err)
		return false
	}
	return true
}
