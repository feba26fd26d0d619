//go:build wasip1

// Command particles simulates 100 000 particles on the GPU and draws them there: the state
// lives in a GPU buffer of the GPU driver's, a compute shader moves it each frame and the same
// buffer feeds a draw of points into a region the window shows (surface_present_region). The
// module never touches the particles after seeding them; per frame only two small requests
// cross the bus. Drag with the mouse to move the attractor (it circles on its own otherwise);
// space pauses; r reseeds.
//
// Flags: --count N (100000), --size WxH (640x480), --seed N, --log-frames (log the monotonic
// time of every frame: the end-to-end tests read it).
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	count := flag.Int("count", 100000, "particles")
	size := flag.String("size", "640x480", "window size WxH")
	seed := flag.Int64("seed", 1, "random seed of the first positions")
	logFrames := flag.Bool("log-frames", false, "log the time of every frame")
	flag.Parse()
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w <= 0 || h <= 0 || *count <= 0 {
		fmt.Fprintf(os.Stderr, "particles: --size %q --count %d: want WxH and a positive count\n", *size, *count)
		os.Exit(2)
	}
	if err := run(*count, w, h, *seed, *logFrames); err != nil {
		sdk.Errorf("particles: %v", err)
		fmt.Fprintln(os.Stderr, "particles:", err)
		os.Exit(1)
	}
}

// system is the GPU side of the demo: the shaders, the particle buffer and the picture.
type system struct {
	sim, draw *sdk.Shader
	buf       *sdk.GPUBuffer
	target    sdk.Region
	count     int
	w, h      int
}

// seed fills a new GPU buffer with particles scattered over a disc, at rest.
func (s *system) seed(seed int64) error {
	if s.buf != nil {
		s.buf.Release()
	}
	rng := rand.New(rand.NewSource(seed))
	b := make([]byte, 16*s.count)
	for i := 0; i < s.count; i++ {
		a, r := rng.Float64()*2*math.Pi, math.Sqrt(rng.Float64())*0.9
		binary.LittleEndian.PutUint32(b[16*i:], math.Float32bits(float32(r*math.Cos(a))))
		binary.LittleEndian.PutUint32(b[16*i+4:], math.Float32bits(float32(r*math.Sin(a))))
	}
	init, err := sdk.NewRegion(int64(len(b)))
	if err != nil {
		return err
	}
	defer init.Release()
	if _, err := init.WriteAt(b, 0); err != nil {
		return err
	}
	s.buf, err = sdk.NewGPUBuffer(int64(len(b)), init)
	return err
}

// step moves the particles by dt and draws them into the target region.
func (s *system) step(dt float64, attractor [2]float64) error {
	sim := sdk.Compute{Shader: s.sim, Groups: [3]int{(s.count + 255) / 256, 1, 1},
		Buffers:  []sdk.Bind{{Binding: 0, Buffer: s.buf}},
		Uniforms: map[string][]float64{"dt": {dt}, "attractor": attractor[:], "count": {float64(s.count)}}}
	if _, err := sim.Run(); err != nil {
		return err
	}
	d := sdk.Draw{Shader: s.draw, Target: sdk.Image{Region: s.target, Width: s.w, Height: s.h},
		Clear: &[4]float32{0.02, 0.02, 0.05, 1}, Blend: true, Primitive: "points", Count: s.count,
		Vertices: []sdk.Vertices{{Buffer: s.buf, Stride: 16, Attributes: []sdk.Attribute{
			{Location: 0, Components: 2}, {Location: 1, Components: 2, Offset: 8}}}}}
	_, err := d.Run()
	return err
}

func run(count, w, h int, seed int64, logFrames bool) error {
	s := &system{count: count, w: w, h: h}
	var err error
	if s.sim, err = sdk.CompileCompute(simShader); err != nil {
		return err
	}
	if s.draw, err = sdk.CompileDraw(pointVertex, pointFragment); err != nil {
		return err
	}
	if s.target, err = sdk.NewRegion(int64(4 * w * h)); err != nil {
		return err
	}
	if err := s.seed(seed); err != nil {
		return err
	}
	win, err := sdk.NewSurface(w, h, fmt.Sprintf("Particles (%d on the GPU)", count))
	if err != nil {
		return err
	}
	defer win.Close()
	var t float64
	var mouse *[2]float64
	paused, dragging := false, false
	return sdk.Run(win, 30, func(f *sdk.Frame) bool {
		for _, ev := range f.Events {
			switch e := ev.(type) {
			case sdk.Char:
				switch e.Rune {
				case ' ':
					paused = !paused
				case 'r':
					if err := s.seed(seed + int64(f.N)); err != nil {
						sdk.Errorf("particles: %v", err)
					}
				}
			case sdk.MouseDown:
				dragging = true
				mouse = &[2]float64{2*float64(e.X)/float64(w) - 1, 1 - 2*float64(e.Y)/float64(h)}
			case sdk.MouseMove:
				if dragging {
					mouse = &[2]float64{2*float64(e.X)/float64(w) - 1, 1 - 2*float64(e.Y)/float64(h)}
				}
			case sdk.MouseUp:
				dragging, mouse = false, nil
			}
		}
		dt := min(f.Delta.Seconds(), 0.1)
		if f.N == 0 {
			dt = 1.0 / 30
		}
		if paused {
			dt = 0
		}
		t += dt
		at := [2]float64{0.5 * math.Cos(t*0.7), 0.4 * math.Sin(t*1.1)}
		if mouse != nil {
			at = *mouse
		}
		if err := s.step(dt, at); err != nil {
			if errors.Is(err, sdk.ErrLost) { // the GPU context restarted: the particles are gone
				sdk.Warnf("particles: %v; seeding again", err)
				if err := s.seed(seed); err != nil {
					sdk.Errorf("particles: %v", err)
				}
				return true
			}
			sdk.Errorf("particles: %v", err)
			return true
		}
		f.PresentRegion(s.target, 0, 4*w)
		if logFrames {
			sdk.Infof("particles: frame %d at %d ms", f.N, sdk.Now()/time.Millisecond)
		}
		return true
	})
}
