//go:build wasip1

package main

import (
	"fmt"
	"time"

	"github.com/orbital/orbital/modules/internal/boxblur"
	"github.com/orbital/orbital/modules/sdk"
)

// runCheck blurs n camera frames on the GPU and on the CPU and compares the results byte by
// byte. Each frame is first copied out of the camera's ring (so the driver cannot overwrite it
// between the two blurs) into a region of the module's, which the GPU reads.
func runCheck(camID string, w, h, radius, n int) error {
	op, b, err := openBlur(camID, w, h, radius)
	if err != nil {
		return err
	}
	w, h = op.Width, op.Height
	in, err := sdk.NewRegion(int64(4 * w * h))
	if err != nil {
		return err
	}
	sub, err := subscribeFrames(op)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	pix, gpu := make([]byte, 4*w*h), make([]byte, 4*w*h)
	maxDiff, differ := 0, 0
	var tg, tc time.Duration
	for done := 0; done < n; {
		m, err := sdk.Recv(5 * time.Second)
		if err != nil {
			return fmt.Errorf("waiting for a frame: %w", err)
		}
		fr, ok := newest([]sdk.Message{m}, op.Topic)
		if !ok {
			continue
		}
		copied := fr.copyTo(pix)
		fr.region.Release()
		if !copied {
			continue
		}
		if _, err := in.WriteAt(pix, 0); err != nil {
			return err
		}
		start := sdk.Now()
		if _, err := b.gpu(in, 4*w); err != nil {
			return err
		}
		tg += sdk.Now() - start
		if _, err := b.out.ReadAt(gpu, 0); err != nil {
			return err
		}
		start = sdk.Now()
		boxblur.Blur(pix, w, h, radius)
		tc += sdk.Now() - start
		for i := range pix {
			d := int(pix[i]) - int(gpu[i])
			if d < 0 {
				d = -d
			}
			if d > 0 {
				differ++
			}
			maxDiff = max(maxDiff, d)
		}
		done++
	}
	fmt.Printf("gpublur: check %d frames %dx%d radius %d: max difference %d (%d bytes differ); GPU %.1f ms, CPU %.1f ms per frame\n",
		n, w, h, radius, maxDiff, differ, ms(tg, n), ms(tc, n))
	if maxDiff > 1 {
		return fmt.Errorf("the GPU blur differs from the CPU blur by up to %d", maxDiff)
	}
	return nil
}

// runBench times n blurs of a synthetic picture on the GPU (region to region, through the GPU
// driver) and on the CPU (in this module's memory), or only one of them (on: gpu, cpu, both),
// and prints the time per blur.
func runBench(w, h, radius, n int, on string) error {
	img := testPicture(w, h)
	if on == "gpu" || on == "both" {
		b, err := newBlurrer(w, h, radius)
		if err != nil {
			return err
		}
		in, err := sdk.NewRegion(int64(len(img.Pix)))
		if err != nil {
			return err
		}
		if _, err := in.WriteAt(img.Pix, 0); err != nil {
			return err
		}
		if _, err := b.gpu(in, 4*w); err != nil { // the shader's first run compiles its machine code
			return err
		}
		start := sdk.Now()
		for i := 0; i < n; i++ {
			if _, err := b.gpu(in, 4*w); err != nil {
				return err
			}
		}
		fmt.Printf("gpublur: bench %dx%d radius %d, %d blurs: gpu %d ns/blur\n", w, h, radius, n, (sdk.Now()-start).Nanoseconds()/int64(n))
	}
	if on == "cpu" || on == "both" {
		pix := make([]byte, len(img.Pix))
		start := sdk.Now()
		for i := 0; i < n; i++ {
			copy(pix, img.Pix)
			boxblur.Blur(pix, w, h, radius)
		}
		fmt.Printf("gpublur: bench %dx%d radius %d, %d blurs: cpu %d ns/blur\n", w, h, radius, n, (sdk.Now()-start).Nanoseconds()/int64(n))
	}
	return nil
}

func ms(d time.Duration, n int) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
