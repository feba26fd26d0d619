package compositor

import (
	"image"
	"testing"
)

// The cart window benchmarks: a 480x480 window (a WASM-4 cart at 3x) over a wallpaper, its
// owner presenting a new picture every frame. base=480x480 presents the scaled picture and
// the device copies it 1:1 (how carts ran before pixel scales); blocks=160x160@3x presents the
// console's 160x160 picture and the device draws it as 3x3 blocks.

var cartAt = image.Pt(300, 150)

// cartBenchScene returns a scene with the wallpaper and the cart window, and the two pictures
// the window alternates between.
func cartBenchScene(b *testing.B, side, scale int) (*Scene, *Surface, [2][]byte) {
	b.Helper()
	s := NewScene()
	wall := mustCreate(b, s, 0, benchW, benchH)
	if err := wall.SetLayer(LayerBackground); err != nil {
		b.Fatal(err)
	}
	wall.SetOpaque(true)
	if err := wall.Present(gradient(benchW, benchH, 40, 255), benchW*4); err != nil {
		b.Fatal(err)
	}
	sf := mustCreate(b, s, 1, side, side)
	sf.Move(cartAt.X, cartAt.Y)
	if err := sf.SetScale(scale); err != nil {
		b.Fatal(err)
	}
	return s, sf, [2][]byte{gradient(side, side, 10, 255), gradient(side, side, 200, 255)}
}

var cartModes = []struct {
	name        string
	side, scale int
}{{"base=480x480", 480, 1}, {"blocks=160x160@3x", 160, 3}}

// BenchmarkComposeCartSoftware: the cart window presenting and composed every frame by the
// software device (only the window's rectangle is redrawn).
func BenchmarkComposeCartSoftware(b *testing.B) {
	for _, m := range cartModes {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			s, sf, pics := cartBenchScene(b, m.side, m.scale)
			d := NewSoftware(benchW, benchH)
			if err := d.Compose(s, nil); err != nil {
				b.Fatal(err)
			}
			frames := 0
			for b.Loop() {
				if err := sf.Present(pics[frames%2], m.side*4); err != nil {
					b.Fatal(err)
				}
				if err := d.Compose(s, nil); err != nil {
					b.Fatal(err)
				}
				frames++
			}
			reportFPS(b, frames)
		})
	}
}
