package kernel

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// firstFrameScript draws what modules/firstframe draws: a 320x240 window in one colour,
// presented at once.
const firstFrameScript = `const w = orbital.openWindow(320, 240, 'first frame')
w.fillStyle = '#336699'
w.fillRect(0, 0, 320, 240)
w.present()`

// BenchmarkScriptStart is the time to a module's first frame on screen: the JavaScript engine
// running firstFrameScript beside modules/firstframe, a Go module drawing the same frame (the
// baseline). loaded: from Spawn, the module loaded once before (a running instance keeps the
// engine loaded and opens one more script); cache=disk: a fresh kernel's start from the disk
// cache (`orbital run app.js`): read and hash the module, read, check and deserialize its
// compiled code, then spawn. Compilation itself is not measured: it happens once, before the
// loop.
func BenchmarkScriptStart(b *testing.B) {
	engine, goMod := testenv.Module(b, "js"), testenv.Module(b, "firstframe")
	home := b.TempDir()
	script := &Script{File: "first.js", Source: []byte(firstFrameScript)}
	for _, cache := range []string{"loaded", "cache=disk"} {
		for _, tc := range []struct {
			name   string
			path   string
			script *Script
		}{{"base=go-module", goMod, nil}, {"js", engine, script}} {
			b.Run(cache+"/"+tc.name, func(b *testing.B) {
				d := newFirstFrameDisplay()
				k := newKernel(b, Config{AllowAll: true, Home: home, Display: d})
				m, err := k.LoadFile(tc.path) // compiles into the disk cache once
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					if cache == "cache=disk" {
						forgetCompiled(b, k) // as a fresh kernel; the dropped modules collected untimed
						if m, err = k.LoadFile(tc.path); err != nil || !m.Cached {
							b.Fatalf("load from the disk cache: cached=%v, %v", m != nil && m.Cached, err)
						}
					}
					firstFrame(b, k, d, m, tc.script)
				}
			})
		}
	}
}

// firstFrame spawns m (with script) and waits for its first present; the process is then
// killed with the timer stopped.
func firstFrame(b *testing.B, k *Kernel, d *firstFrameDisplay, m *Module, script *Script) {
	p, err := k.Spawn(m, SpawnOptions{Name: "first", UI: true, Script: script, Stdout: os.DevNull, Stderr: os.DevNull})
	if err != nil {
		b.Fatal(err)
	}
	select {
	case <-d.presented:
	case <-p.Done():
		b.Fatalf("ended before its first frame: %s", p.Info().Reason)
	case <-time.After(30 * time.Second):
		b.Fatal("no frame within 30s")
	}
	b.StopTimer()
	k.Kill(p.PID(), true)
	p.Wait(context.Background())
	k.Forget(p.PID())
	b.StartTimer()
}

// firstFrameDisplay signals every present.
type firstFrameDisplay struct{ presented chan struct{} }

func newFirstFrameDisplay() *firstFrameDisplay {
	return &firstFrameDisplay{presented: make(chan struct{}, 1)}
}

func (d *firstFrameDisplay) CreateSurface(SurfaceOwner, string, int, int) (Surface, error) {
	return firstFrameSurface{d}, nil
}

type firstFrameSurface struct{ d *firstFrameDisplay }

func (s firstFrameSurface) Present([]byte, int) error {
	select {
	case s.d.presented <- struct{}{}:
	default:
	}
	return nil
}
func (firstFrameSurface) Resize(int, int) error { return nil }
func (firstFrameSurface) Close()                {}
