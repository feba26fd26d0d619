package compositor

import (
	"fmt"
	"image"
	"testing"
)

const benchW, benchH, benchSurf = 1280, 800, 512

var benchCounts = []int{1, 4, 16}

// benchLayout places surface i of n on a 4x4 grid spread over the 1280x800 frame; the 512x512
// surfaces overlap, as windows do.
func benchLayout(i int) image.Point {
	return image.Pt((i%4)*(benchW-benchSurf)/3, (i/4%4)*(benchH-benchSurf)/3)
}

// benchPixels returns one 512x512 picture per surface, different per surface.
func benchPixels(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = gradient(benchSurf, benchSurf, uint8(40*i), 255)
	}
	return out
}

func reportFPS(b *testing.B, frames int) {
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "fps")
}

// BenchmarkComposeSoftware: a 1280x800 frame from n 512x512 surfaces, every surface presented
// (damaged) every frame. base=raw-copy copies each surface's pixels row by row into the frame,
// clipped, with no scene, locks or double buffering; orbital is Present on every surface plus
// Software.Compose.
func BenchmarkComposeSoftware(b *testing.B) {
	for _, n := range benchCounts {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			pix := benchPixels(n)
			b.Run("base=raw-copy", func(b *testing.B) {
				b.ReportAllocs()
				frame := image.NewRGBA(image.Rect(0, 0, benchW, benchH))
				frames := 0
				for b.Loop() {
					for i, p := range pix {
						r := image.Rectangle{Min: benchLayout(i)}
						r.Max = r.Min.Add(image.Pt(benchSurf, benchSurf))
						clip := r.Intersect(frame.Rect)
						n := clip.Dx() * 4
						for y := clip.Min.Y; y < clip.Max.Y; y++ {
							so := (y-r.Min.Y)*benchSurf*4 + (clip.Min.X-r.Min.X)*4
							copy(frame.Pix[frame.PixOffset(clip.Min.X, y):][:n], p[so:so+n])
						}
					}
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
				d := NewSoftware(benchW, benchH)
				d.Frame() // allocate outside the timed loop
				frames := 0
				for b.Loop() {
					for i, sf := range sfs {
						if err := sf.Present(pix[i], benchSurf*4); err != nil {
							b.Fatal(err)
						}
					}
					if err := d.Compose(s, nil); err != nil {
						b.Fatal(err)
					}
					frames++
				}
				reportFPS(b, frames)
			})
		})
	}
}

// BenchmarkPresent: one 512x512 Present (validation, copy into the back buffer, flip, change
// signal) beside a bare memmove of the same bytes.
func BenchmarkPresent(b *testing.B) {
	pix := benchPixels(1)[0]
	b.Run("base=memmove", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(pix)))
		dst := make([]byte, len(pix))
		for b.Loop() {
			copy(dst, pix)
		}
	})
	b.Run("orbital", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(pix)))
		sf := mustCreate(b, NewScene(), 1, benchSurf, benchSurf)
		for b.Loop() {
			if err := sf.Present(pix, benchSurf*4); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The damage benchmarks' scene: the 16 static 512x512 windows of the compose benchmarks and,
// on top, one 300x300 window that presents a new picture every frame.
const damageSurf = 300

var damageAt = image.Pt(490, 250)

// damageBenchScene builds that scene and returns it with the changing window and the two
// pictures it alternates between.
func damageBenchScene(b *testing.B) (*Scene, *Surface, [2][]byte) {
	b.Helper()
	s := NewScene()
	for i, p := range benchPixels(16) {
		sf := mustCreate(b, s, uint32(i+1), benchSurf, benchSurf)
		at := benchLayout(i)
		sf.Move(at.X, at.Y)
		if err := sf.Present(p, benchSurf*4); err != nil {
			b.Fatal(err)
		}
	}
	sf := mustCreate(b, s, 99, damageSurf, damageSurf)
	sf.Move(damageAt.X, damageAt.Y)
	return s, sf, [2][]byte{gradient(damageSurf, damageSurf, 10, 255), gradient(damageSurf, damageSurf, 200, 255)}
}

// BenchmarkComposeDamageSoftware: one 300x300 window among 16 static 512x512 ones presents
// every frame. damage redraws what changed (the window's rectangle); base=full recomposes
// the whole 1280x800 frame of the same scene (Invalidate before each Compose).
func BenchmarkComposeDamageSoftware(b *testing.B) {
	for _, mode := range []string{"base=full", "damage"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			s, sf, pics := damageBenchScene(b)
			d := NewSoftware(benchW, benchH)
			if err := d.Compose(s, nil); err != nil {
				b.Fatal(err)
			}
			frames := 0
			for b.Loop() {
				if err := sf.Present(pics[frames%2], damageSurf*4); err != nil {
					b.Fatal(err)
				}
				if mode == "base=full" {
					d.Invalidate()
				}
				if err := d.Compose(s, nil); err != nil {
					b.Fatal(err)
				}
				frames++
			}
			b.ReportMetric(float64(d.Damage().Area())/float64(benchW*benchH), "drawn")
			reportFPS(b, frames)
		})
	}
}
