package wasm4

import "testing"

// BenchmarkConvert converts a changing framebuffer to RGBA at the window scales a cart uses,
// against copying the 6400-byte framebuffer (what any runtime must at least do).
func BenchmarkConvert(b *testing.B) {
	m := Memory(make([]byte, MemorySize))
	m.Reset()
	for i := range m.Framebuffer() {
		m.Framebuffer()[i] = byte(i * 7)
	}
	b.Run("base=copy-framebuffer", func(b *testing.B) {
		out := make([]byte, FramebufferSize)
		for b.Loop() {
			copy(out, m.Framebuffer())
		}
	})
	for _, scale := range []int{1, 2, 3} {
		b.Run("scale="+string(rune('0'+scale)), func(b *testing.B) {
			w := Width * scale
			dst := make([]byte, w*w*4)
			var s Screen
			b.SetBytes(int64(len(dst)))
			for b.Loop() {
				s.Convert(m, dst, w, w, w*4)
			}
		})
	}
}
