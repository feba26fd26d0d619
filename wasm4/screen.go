package wasm4

import (
	"bytes"
	"encoding/binary"
)

// Screen turns a cart's framebuffer into RGBA8 pixels for a window: the 160x160 picture scaled
// by a whole factor (nearest neighbour, so pixels stay square and sharp), centred, with a black
// border filling the rest. It keeps a copy of what it converted last, so a frame that changed
// nothing costs a comparison, not a conversion.
//
// A Screen is used by one goroutine (the cart's thread).
type Screen struct {
	pal   [4]uint32     // palette the tables were built for
	scale int           // scale the tables were built for
	exp   [256][]uint64 // per framebuffer byte: its 4 pixels, each repeated scale times, RGBA8
	built bool

	last    [FramebufferSize + 16]byte // framebuffer and palette of the last conversion
	haveOld bool
	geom    [4]int // w, h, stride, scale of the last conversion (the border is filled once)
}

// Changed reports whether the framebuffer or the palette differ from the last conversion.
func (s *Screen) Changed(m Memory) bool {
	return !s.haveOld || !bytes.Equal(s.last[:FramebufferSize], m.Framebuffer()) ||
		!bytes.Equal(s.last[FramebufferSize:], m[AddrPalette:AddrPalette+16])
}

// Fit returns the largest whole scale at which the picture fits a w x h window (at least 1)
// and where its top-left corner goes.
func Fit(w, h int) (scale, ox, oy int) {
	scale = max(1, min(w/Width, h/Height))
	return scale, (w - Width*scale) / 2, (h - Height*scale) / 2
}

// Convert draws the cart's picture into dst, an RGBA8 image of w x h pixels with rows stride
// bytes apart (stride >= 4*w), scaled by Fit(w, h).
func (s *Screen) Convert(m Memory, dst []byte, w, h, stride int) {
	scale, ox, oy := Fit(w, h)
	pal := m.Palette()
	if !s.built || pal != s.pal || scale != s.scale {
		s.build(pal, scale)
	}
	if g := [4]int{w, h, stride, scale}; g != s.geom {
		fillBlack(dst, w, h, stride)
		s.geom = g
	}
	fb := m.Framebuffer()
	rowBytes := Width * scale * 4
	if ox < 0 || oy < 0 || ox*4+rowBytes > stride || oy+Height*scale > h {
		return // the window is smaller than the picture at scale 1 (Fit never picks less)
	}
	for y := range Height {
		top := (oy+y*scale)*stride + ox*4
		row := dst[top : top+rowBytes]
		o := 0
		for _, b := range fb[y*Width/4 : (y+1)*Width/4] {
			for _, v := range s.exp[b] {
				binary.LittleEndian.PutUint64(row[o:o+8], v)
				o += 8
			}
		}
		for r := 1; r < scale; r++ {
			copy(dst[top+r*stride:top+r*stride+rowBytes], row)
		}
	}
	copy(s.last[:FramebufferSize], fb)
	copy(s.last[FramebufferSize:], m[AddrPalette:AddrPalette+16])
	s.haveOld = true
}

// build makes the byte-to-pixels tables for a palette and scale.
func (s *Screen) build(pal [4]uint32, scale int) {
	var rgba [4]uint64
	for i, c := range pal {
		rgba[i] = uint64(c>>16&0xff) | uint64(c>>8&0xff)<<8 | uint64(c&0xff)<<16 | 0xff<<24
	}
	for b := range 256 {
		px := make([]uint32, 0, 4*scale)
		for i := range 4 { // pixel i of the byte is bits 2i..2i+1 (leftmost in the low bits)
			for range scale {
				px = append(px, uint32(rgba[(b>>(2*i))&3]))
			}
		}
		words := make([]uint64, 2*scale)
		for i := range words {
			words[i] = uint64(px[2*i]) | uint64(px[2*i+1])<<32
		}
		s.exp[b] = words
	}
	s.pal, s.scale, s.built = pal, scale, true
}

func fillBlack(dst []byte, w, h, stride int) {
	for y := range h {
		row := dst[y*stride : y*stride+w*4]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = 0, 0, 0, 0xff
		}
	}
}
