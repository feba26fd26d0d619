//go:build wasip1

// Command producer draws frames into shared memory regions and publishes them on
// frames.producer: each frame is a fresh region of width*height*4 bytes (RGBA8), written once
// and given away (transferred, read-only) with the message, whose payload is a 12-byte header
// (width, height, frame number). viewer shows them. It runs at -fps until -frames are sent (0:
// until stopped); while nobody subscribes it waits.
//
//	orbital run --headless --frames 60 --screenshot f.png producer viewer
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"os"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

const topic = "frames.producer"

func main() {
	w := flag.Int("w", 320, "frame width")
	h := flag.Int("h", 240, "frame height")
	fps := flag.Int("fps", 30, "frames per second")
	frames := flag.Int("frames", 0, "frames to send, then exit (0: until stopped)")
	flag.Parse()
	if err := run(*w, *h, *fps, *frames); err != nil && !errors.Is(err, sdk.ErrClosed) {
		fmt.Fprintln(os.Stderr, "producer:", err)
		sdk.Errorf("producer: %v", err)
		os.Exit(1)
	}
}

func run(w, h, fps, frames int) error {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	period := time.Second / time.Duration(max(fps, 1))
	next := sdk.Now()
	sent := 0
	for n := 0; frames == 0 || sent < frames; n++ {
		draw(img, n)
		r, err := sdk.NewRegion(int64(len(img.Pix)))
		if err != nil {
			return err
		}
		if _, err := r.WriteAt(img.Pix, 0); err != nil {
			r.Release()
			return err
		}
		err = sdk.Publish(topic, header(w, h, n), r.Give(sdk.Read))
		switch {
		case err == nil:
			sent++ // the region now belongs to the viewer
		case errors.Is(err, sdk.ErrNotFound):
			r.Release() // nobody watches yet
		default:
			r.Release()
			return err
		}
		// Pace, while still answering a quit request at once.
		next += period
		for {
			left := next - sdk.Now()
			if left <= 0 {
				break
			}
			m, err := sdk.Recv(left)
			if errors.Is(err, sdk.ErrTimeout) {
				break
			}
			if err != nil {
				return err
			}
			if m.Kind == sdk.KindQuit {
				return nil
			}
		}
	}
	sdk.Logf(sdk.Info, "producer: sent %d frames", sent)
	return nil
}
