//go:build wasip1

// Command gpublur shows the camera's live picture blurred on the GPU: each frame's shared
// region goes straight to the GPU driver as an image, a compute shader (shader.go) blurs it
// into a region of the module's, and the window shows that region (surface_present_region):
// the pixels never enter the module's memory. Press c (or click) to blur on the CPU instead, in
// WebAssembly (modules/internal/boxblur, the same blur), and compare; the log says how long
// each takes.
//
// Flags: --camera ID (default the test pattern "test"), --size WxH (640x480), --radius N (1..8,
// default 4), --cpu (start on the CPU). --check N blurs N camera frames both ways, compares
// them and exits (0 when no byte differs by more than 1); --bench N times N blurs of a
// synthetic WxH picture each way (--on gpu or cpu: one way) and prints the figures (no camera
// needed).
package main

import (
	"flag"
	"fmt"
	"image"
	"os"
	"time"

	"github.com/orbital/orbital/modules/internal/boxblur"
	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	camID := flag.String("camera", "test", "camera id")
	size := flag.String("size", "640x480", "frame size WxH")
	radius := flag.Int("radius", 4, "blur radius, 1..8")
	cpu := flag.Bool("cpu", false, "start blurring on the CPU")
	check := flag.Int("check", 0, "compare the GPU and CPU blur of N frames and exit")
	bench := flag.Int("bench", 0, "time N blurs of a synthetic picture each way and exit")
	on := flag.String("on", "both", "with --bench: time the gpu, the cpu or both")
	flag.Parse()
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w <= 0 || h <= 0 || *radius < 1 || *radius > maxRadius {
		fmt.Fprintf(os.Stderr, "gpublur: --size %q --radius %d: want WxH and a radius of 1..%d\n", *size, *radius, maxRadius)
		os.Exit(2)
	}
	var err error
	switch {
	case *bench > 0:
		err = runBench(w, h, *radius, *bench, *on)
	case *check > 0:
		err = runCheck(*camID, w, h, *radius, *check)
	default:
		err = run(*camID, w, h, *radius, *cpu)
	}
	if err != nil {
		sdk.Errorf("gpublur: %v", err)
		fmt.Fprintln(os.Stderr, "gpublur:", err)
		os.Exit(1)
	}
}

// blurrer blurs w x h pictures on the GPU into its output region.
type blurrer struct {
	sh           *sdk.Shader
	w, h, radius int
	out          sdk.Region
}

func newBlurrer(w, h, radius int) (*blurrer, error) {
	sh, err := sdk.CompileCompute(blurShader)
	if err != nil {
		return nil, err
	}
	out, err := sdk.NewRegion(int64(4 * w * h))
	if err != nil {
		return nil, err
	}
	return &blurrer{sh: sh, w: w, h: h, radius: radius, out: out}, nil
}

// openBlur opens the camera and a blurrer of its frames' size; the caller subscribes to the
// frames once it has made its own regions (subscribeFrames).
func openBlur(camID string, w, h, radius int) (openReply, *blurrer, error) {
	op, err := openCamera(camID, w, h, 30)
	if err != nil {
		return op, nil, err
	}
	b, err := newBlurrer(op.Width, op.Height, radius)
	return op, b, err
}

// gpu blurs the picture in src (rows of stride bytes) into b.out.
func (b *blurrer) gpu(src sdk.Region, stride int) (time.Duration, error) {
	c := sdk.Compute{Shader: b.sh, Groups: [3]int{(b.w + 15) / 16, (b.h + 15) / 16, 1},
		Images: []sdk.ImageBind{
			{Binding: 0, Image: sdk.Image{Region: src, Width: b.w, Height: b.h, Stride: stride}, Access: sdk.GPURead},
			{Binding: 1, Image: sdk.Image{Region: b.out, Width: b.w, Height: b.h}, Access: sdk.GPUWrite},
		},
		Uniforms: map[string][]float64{"radius": {float64(b.radius)}}}
	return c.Run()
}

func run(camID string, w, h, radius int, cpu bool) error {
	op, b, err := openBlur(camID, w, h, radius)
	if err != nil {
		return err
	}
	sub, err := subscribeFrames(op)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	w, h = op.Width, op.Height
	s, err := sdk.NewSurface(w, h, fmt.Sprintf("GPU blur (radius %d): c switches GPU/CPU", radius))
	if err != nil {
		return err
	}
	defer s.Close()
	img := s.NewImage()
	var spent time.Duration
	var frames int
	mode := map[bool]string{false: "GPU", true: "CPU"}
	sdk.Infof("gpublur: blurring %s's %dx%d frames on the %s", camID, w, h, mode[cpu])
	return sdk.Run(s, 60, func(f *sdk.Frame) bool {
		for _, ev := range f.Events {
			switch e := ev.(type) {
			case sdk.Char:
				if e.Rune == 'c' {
					cpu = !cpu
				}
			case sdk.MouseDown:
				cpu = !cpu
			default:
				continue
			}
			sdk.Infof("gpublur: now on the %s", mode[cpu])
			spent, frames = 0, 0
		}
		fr, ok := newest(f.Messages, op.Topic)
		if !ok {
			return true
		}
		defer fr.region.Release()
		start := sdk.Now()
		if cpu {
			if !fr.copyTo(img.Pix) {
				return true
			}
			boxblur.Blur(img.Pix, w, h, radius)
			f.Present(img)
		} else {
			if _, err := b.gpu(fr.region, op.Stride); err != nil {
				sdk.Errorf("gpublur: %v", err)
				return true
			}
			f.PresentRegion(b.out, 0, 4*w)
		}
		spent += sdk.Now() - start
		if frames++; frames%60 == 0 {
			sdk.Infof("gpublur: %s blur %.1f ms per frame (%dx%d, radius %d)", mode[cpu], float64(spent.Microseconds())/1000/float64(frames), w, h, radius)
		}
		return true
	})
}

// testPicture is a synthetic picture with edges and gradients for --bench.
func testPicture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = byte(x*255/w), byte(y*255/h), byte((x/32+y/32)%2*255), 255
		}
	}
	return img
}
