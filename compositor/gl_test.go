//go:build cgo

package compositor

import (
	"fmt"
	"image"
	"sync"
	"testing"

	"github.com/go-gl/gl/v3.3-core/gl"
	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/orbital/orbital/internal/testenv"
)

// glWindow opens a hidden w x h GLFW window with a GL 3.3 core context on a private Xvfb display
// and returns a GL device for it. Everything is torn down when the test ends. GL calls must go
// through onMain.
func glWindow(tb testing.TB, w, h int) *GL {
	tb.Helper()
	tb.Setenv("DISPLAY", testenv.Xvfb(tb)) // GLFW opens $DISPLAY in Init
	var (
		win *glfw.Window
		dev *GL
		err error
	)
	onMain(func() {
		if err = glfw.Init(); err != nil {
			err = fmt.Errorf("glfw init: %w", err)
			return
		}
		glfw.WindowHint(glfw.Visible, glfw.False)
		glfw.WindowHint(glfw.ContextVersionMajor, 3)
		glfw.WindowHint(glfw.ContextVersionMinor, 3)
		glfw.WindowHint(glfw.OpenGLProfile, glfw.OpenGLCoreProfile)
		glfw.WindowHint(glfw.OpenGLForwardCompatible, glfw.True)
		if win, err = glfw.CreateWindow(w, h, "compositor test", nil, nil); err != nil {
			glfw.Terminate()
			err = fmt.Errorf("glfw create window: %w", err)
			return
		}
		win.MakeContextCurrent()
		glfw.SwapInterval(0)
		fbW, fbH := win.GetFramebufferSize()
		if dev, err = NewGL(fbW, fbH, float64(fbW)/float64(w)); err != nil {
			win.Destroy()
			glfw.Terminate()
		}
	})
	if err != nil {
		tb.Fatalf("open GL window on Xvfb: %v", err)
	}
	tb.Cleanup(func() {
		onMain(func() {
			dev.Release()
			win.Destroy()
			glfw.Terminate()
		})
	})
	return dev
}

// bindTarget binds a new w x h RGBA8 framebuffer object for a device to draw into and returns
// the function that unbinds (back to the window's framebuffer) and frees it. Main thread only.
func bindTarget(w, h int) (free func(), err error) {
	_, free, err = newTarget(w, h)
	return free, err
}

// newTarget is bindTarget that also returns the framebuffer's name.
func newTarget(w, h int) (fbo uint32, free func(), err error) {
	var rb uint32
	gl.GenFramebuffers(1, &fbo)
	gl.BindFramebuffer(gl.FRAMEBUFFER, fbo)
	gl.GenRenderbuffers(1, &rb)
	gl.BindRenderbuffer(gl.RENDERBUFFER, rb)
	gl.RenderbufferStorage(gl.RENDERBUFFER, gl.RGBA8, int32(w), int32(h))
	gl.FramebufferRenderbuffer(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.RENDERBUFFER, rb)
	free = func() {
		gl.BindFramebuffer(gl.FRAMEBUFFER, 0)
		gl.DeleteFramebuffers(1, &fbo)
		gl.DeleteRenderbuffers(1, &rb)
	}
	if st := gl.CheckFramebufferStatus(gl.FRAMEBUFFER); st != gl.FRAMEBUFFER_COMPLETE {
		free()
		return 0, nil, fmt.Errorf("framebuffer incomplete: 0x%x", st)
	}
	return fbo, free, nil
}

// composeBoth composes s with dev and with a software device of dev's size, and returns the
// two pictures, after checking they agree within rounding.
func composeBoth(t *testing.T, dev *GL, s *Scene) (got *image.RGBA, sw *Software) {
	t.Helper()
	w, h := dev.Size()
	sw = NewSoftware(w, h)
	if err := sw.Compose(s, nil); err != nil {
		t.Fatal(err)
	}
	got = image.NewRGBA(image.Rect(0, 0, w, h))
	var err error
	onMain(func() { err = dev.Compose(s, got) })
	if err != nil {
		t.Fatal(err)
	}
	compareFrames(t, got, sw.Frame(), 2)
	return got, sw
}

func TestGLMatchesSoftware(t *testing.T) {
	const w, h = 320, 240
	dev := glWindow(t, w, h)
	s := testScene(t)
	got, sw := composeBoth(t, dev, s)
	var err error

	// Damage, raise, resize, remove: the GL device follows and frees textures of removed surfaces.
	sfs := s.Surfaces()
	s.Raise(sfs[1].ID)
	if err := sfs[2].Resize(70, 40); err != nil {
		t.Fatal(err)
	}
	if err := sfs[2].Present(gradient(70, 40, 77, 255), 70*4); err != nil {
		t.Fatal(err)
	}
	if err := sfs[3].Present(gradient(150, 100, 200, 255), 150*4); err != nil {
		t.Fatal(err)
	}
	before := 0
	onMain(func() { before = dev.Textures() })
	sfs[5].Close() // a translucent chrome surface (sfs[4] is the hidden one: no texture)
	if err := sw.Compose(s, nil); err != nil {
		t.Fatal(err)
	}
	after := 0
	onMain(func() { err = dev.Compose(s, got); after = dev.Textures() })
	if err != nil {
		t.Fatal(err)
	}
	if after != before-1 {
		t.Errorf("textures: %d before closing a surface, %d after; want one freed", before, after)
	}
	compareFrames(t, got, sw.Frame(), 2)
}

// TestGLHiDPI draws at scale 2 into an offscreen framebuffer twice the desktop's size; every
// desktop pixel must become a 2x2 block of the software picture's pixel.
func TestGLHiDPI(t *testing.T) {
	const w, h = 160, 120
	dev := glWindow(t, w, h)
	s := NewScene()
	a := mustCreate(t, s, 1, 60, 40)
	a.Move(10, 10)
	a.Present(gradient(60, 40, 30, 255), 60*4)
	c := mustCreate(t, s, 0, 100, 30)
	c.Move(40, 30)
	c.Present(gradient(100, 30, 200, 128), 100*4)
	sw := NewSoftware(w, h)
	if err := sw.Compose(s, nil); err != nil {
		t.Fatal(err)
	}
	got := image.NewRGBA(image.Rect(0, 0, 2*w, 2*h))
	var err error
	onMain(func() {
		var free func()
		if free, err = bindTarget(2*w, 2*h); err != nil {
			return
		}
		defer free()
		if err = dev.SetSize(2*w, 2*h, 2); err != nil {
			return
		}
		err = dev.Compose(s, got)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := image.NewRGBA(got.Rect)
	src := sw.Frame()
	for y := 0; y < 2*h; y++ {
		for x := 0; x < 2*w; x++ {
			want.SetRGBA(x, y, src.RGBAAt(x/2, y/2))
		}
	}
	compareFrames(t, got, want, 2)
}

// TestGLConcurrentPresent: presenters on their own goroutines (as module threads) while the main
// thread composes with GL; afterwards GL and software agree on the final picture. Run under -race.
func TestGLConcurrentPresent(t *testing.T) {
	const w, h, n, frames = 256, 192, 6, 60
	dev := glWindow(t, w, h)
	s := NewScene()
	sfs := make([]*Surface, n)
	for i := range sfs {
		sfs[i] = mustCreate(t, s, uint32(i+1), 64+8*i, 48+4*i)
		sfs[i].Move(20*i, 15*i)
	}
	var wg sync.WaitGroup
	for i, sf := range sfs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cw, ch := sf.Size()
			for f := 0; f < frames; f++ {
				if err := sf.Present(gradient(cw, ch, uint8(f*4+i), 255), cw*4); err != nil {
					t.Errorf("present: %v", err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	got := image.NewRGBA(image.Rect(0, 0, w, h))
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-s.Changed():
		}
		var err error
		onMain(func() { err = dev.Compose(s, nil) })
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	onMain(func() { err = dev.Compose(s, got) })
	if err != nil {
		t.Fatal(err)
	}
	sw := NewSoftware(w, h)
	if err := sw.Compose(s, nil); err != nil {
		t.Fatal(err)
	}
	compareFrames(t, got, sw.Frame(), 2)
}
