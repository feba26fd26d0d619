//go:build cgo

package compositor

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/go-gl/gl/v3.3-core/gl"
)

// BenchmarkComposeGL: a 1280x800 framebuffer from n 512x512 surfaces on Mesa under Xvfb, every
// surface uploaded every frame, glFinish per frame so the GPU (llvmpipe) work is counted.
// base=raw-gl is the least GL that does the job: per surface one glTexSubImage2D from the
// caller's pixels and one draw, with the device's shader; orbital is Present on every surface
// plus GL.Compose (snapshot, locks, double buffering, damage tracking) into the window's
// framebuffer, which is never swapped here and so holds the last frame (target age 1).
func BenchmarkComposeGL(b *testing.B) {
	dev := glWindow(b, benchW, benchH)
	for _, n := range benchCounts {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			pix := benchPixels(n)
			b.Run("base=raw-gl", func(b *testing.B) {
				b.ReportAllocs()
				tex := make([]uint32, n)
				onMain(func() {
					gl.GenTextures(int32(n), &tex[0])
					for i := range tex {
						gl.BindTexture(gl.TEXTURE_2D, tex[i])
						gl.TexImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, benchSurf, benchSurf, 0, gl.RGBA, gl.UNSIGNED_BYTE, unsafe.Pointer(&pix[i][0]))
						gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST)
						gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST)
					}
				})
				defer onMain(func() { gl.DeleteTextures(int32(n), &tex[0]) })
				frames := 0
				frame := func() {
					gl.Viewport(0, 0, benchW, benchH)
					gl.Clear(gl.COLOR_BUFFER_BIT)
					gl.Enable(gl.BLEND)
					gl.BlendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA)
					gl.UseProgram(dev.prog)
					gl.BindVertexArray(dev.vao)
					gl.Uniform2f(dev.uView, benchW, benchH)
					gl.Uniform1i(dev.uOpq, 1)
					for i, t := range tex {
						gl.BindTexture(gl.TEXTURE_2D, t)
						gl.TexSubImage2D(gl.TEXTURE_2D, 0, 0, 0, benchSurf, benchSurf, gl.RGBA, gl.UNSIGNED_BYTE, unsafe.Pointer(&pix[i][0]))
						p := benchLayout(i)
						gl.Uniform4f(dev.uRect, float32(p.X), float32(p.Y), benchSurf, benchSurf)
						gl.DrawArrays(gl.TRIANGLE_STRIP, 0, 4)
					}
					gl.Finish()
				}
				for b.Loop() {
					onMain(frame)
					frames++
				}
				reportFPS(b, frames)
			})
			b.Run("orbital", func(b *testing.B) {
				b.ReportAllocs()
				s := NewScene()
				sfs := make([]*Surface, n)
				for i := range sfs {
					sfs[i] = mustCreate(b, s, uint32(i+1), benchSurf, benchSurf)
					p := benchLayout(i)
					sfs[i].Move(p.X, p.Y)
				}
				defer func() {
					for _, sf := range sfs {
						sf.Close()
					}
					onMain(func() { dev.Compose(s, nil) }) // frees the textures
				}()
				var err error
				frame := func() {
					dev.SetTargetAge(1)
					if err = dev.Compose(s, nil); err == nil {
						gl.Finish()
					}
				}
				frames := 0
				for b.Loop() {
					for i, sf := range sfs {
						if err := sf.Present(pix[i], benchSurf*4); err != nil {
							b.Fatal(err)
						}
					}
					onMain(frame)
					if err != nil {
						b.Fatal(err)
					}
					frames++
				}
				reportFPS(b, frames)
			})
		})
	}
}

// BenchmarkComposeDamageGL: one 300x300 window among 16 static 512x512 ones presents every
// frame, composed by the GL device on Mesa under Xvfb into the window's framebuffer, glFinish
// per frame. damage redraws the window's rectangle there, directly, as that framebuffer holds
// the last frame (it is never swapped here: target age 1); base=full recomposes the
// whole 1280x800 frame of the same scene there (Invalidate before each Compose).
func BenchmarkComposeDamageGL(b *testing.B) {
	dev := glWindow(b, benchW, benchH)
	for _, mode := range []string{"base=full", "damage"} {
		b.Run(mode, func(b *testing.B) {
			s, sf, pics := damageBenchScene(b)
			benchPresentGL(b, dev, s, sf, pics, mode == "base=full")
		})
	}
}

// BenchmarkComposeCartGL: the cart window (blocks_bench_test.go) presenting every frame,
// composed by the GL device on Mesa under Xvfb into the window's framebuffer (target age 1),
// glFinish per frame: an upload of the window's pixels and one quad.
func BenchmarkComposeCartGL(b *testing.B) {
	dev := glWindow(b, benchW, benchH)
	for _, m := range cartModes {
		b.Run(m.name, func(b *testing.B) {
			s, sf, pics := cartBenchScene(b, m.side, m.scale)
			benchPresentGL(b, dev, s, sf, pics, false)
		})
	}
}

// benchPresentGL is the loop of the GL benchmarks where one window changes: sf presents the
// two pictures in turn, and dev composes s into the window's framebuffer (target age 1;
// invalidated first for a full recomposite) and finishes, every frame; it reports the frames
// a second and the share of the frame drawn. The surfaces are closed and their textures
// freed at the end.
func benchPresentGL(b *testing.B, dev *GL, s *Scene, sf *Surface, pics [2][]byte, full bool) {
	b.ReportAllocs()
	w, _ := sf.Size()
	var err error
	frame := func() {
		dev.SetTargetAge(1)
		if full {
			dev.Invalidate()
		}
		if err = dev.Compose(s, nil); err == nil {
			gl.Finish()
		}
	}
	defer func() {
		for _, x := range s.Surfaces() {
			x.Close()
		}
		onMain(func() { dev.Compose(s, nil) }) // frees the textures
	}()
	onMain(frame)
	frames := 0
	for b.Loop() {
		if err := sf.Present(pics[frames%2], w*4); err != nil {
			b.Fatal(err)
		}
		onMain(frame)
		if err != nil {
			b.Fatal(err)
		}
		frames++
	}
	var drawn float64
	onMain(func() { drawn = float64(dev.Damage().Area()) / float64(benchW*benchH) })
	b.ReportMetric(drawn, "drawn")
	reportFPS(b, frames)
}
