package camera

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
)

// YUYVToRGBA converts one YUYV 4:2:2 frame (Y0 U Y1 V per two pixels, srcStride bytes a row) to
// RGBA8 in dst (dstStride bytes a row), BT.601 limited range, in integer arithmetic. It writes
// straight into dst, which for the driver is the shared region: the conversion is the only
// pass over the pixels.
func YUYVToRGBA(dst []byte, dstStride int, src []byte, srcStride, w, h int) error {
	if w <= 0 || h <= 0 || w%2 != 0 {
		return fmt.Errorf("yuyv: size %dx%d: width must be even and positive", w, h)
	}
	if srcStride < 2*w || len(src) < srcStride*(h-1)+2*w {
		return fmt.Errorf("yuyv: %d bytes for %dx%d at stride %d: frame is short", len(src), w, h, srcStride)
	}
	if dstStride < 4*w || len(dst) < dstStride*(h-1)+4*w {
		return fmt.Errorf("yuyv: destination of %d bytes is too small for %dx%d", len(dst), w, h)
	}
	for y := 0; y < h; y++ {
		s := src[y*srcStride : y*srcStride+2*w]
		d := dst[y*dstStride : y*dstStride+4*w]
		for i, j := 0, 0; i+3 < len(s); i, j = i+4, j+8 {
			u, v := int32(s[i+1])-128, int32(s[i+3])-128
			ruv := 409 * v
			guv := -100*u - 208*v
			buv := 516 * u
			yuvPixel(d[j:j+4:j+4], int32(s[i]), ruv, guv, buv)
			yuvPixel(d[j+4:j+8:j+8], int32(s[i+2]), ruv, guv, buv)
		}
	}
	return nil
}

func yuvPixel(d []byte, y, ruv, guv, buv int32) {
	c := 298 * (y - 16)
	d[0] = clamp8((c + ruv + 128) >> 8)
	d[1] = clamp8((c + guv + 128) >> 8)
	d[2] = clamp8((c + buv + 128) >> 8)
	d[3] = 255
}

func clamp8(v int32) byte {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return byte(v)
}

// ErrBadJPEG is returned for a frame image/jpeg cannot decode.
var ErrBadJPEG = errors.New("mjpeg: bad frame")

// MJPEGToRGBA decodes one motion-JPEG frame into dst (RGBA8, dstStride bytes a row). The frame
// must be w x h. Frames without Huffman tables (common from webcams) get the standard ones.
func MJPEGToRGBA(dst []byte, dstStride int, frame []byte, w, h int) error {
	if dstStride < 4*w || len(dst) < dstStride*(h-1)+4*w {
		return fmt.Errorf("mjpeg: destination of %d bytes is too small for %dx%d", len(dst), w, h)
	}
	img, err := jpeg.Decode(bytes.NewReader(withDHT(frame)))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadJPEG, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		return fmt.Errorf("%w: frame is %dx%d, the stream is %dx%d", ErrBadJPEG, b.Dx(), b.Dy(), w, h)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		ycbcrToRGBA(dst, dstStride, m)
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			d := dst[y*dstStride:]
			for x, g := range row {
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = g, g, g, 255
			}
		}
	default:
		b := img.Bounds()
		for y := 0; y < h; y++ {
			d := dst[y*dstStride:]
			for x := 0; x < w; x++ {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = byte(r>>8), byte(g>>8), byte(bl>>8), 255
			}
		}
	}
	return nil
}

// ycbcrToRGBA converts a decoded JPEG (full-range BT.601, any subsampling) into dst.
func ycbcrToRGBA(dst []byte, stride int, m *image.YCbCr) {
	b := m.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		d := dst[(y-b.Min.Y)*stride:]
		yi := m.YOffset(b.Min.X, y)
		for x := b.Min.X; x < b.Max.X; x, yi = x+1, yi+1 {
			ci := m.COffset(x, y)
			yy := int32(m.Y[yi]) * 0x10101
			cb := int32(m.Cb[ci]) - 128
			cr := int32(m.Cr[ci]) - 128
			// image/color.YCbCrToRGB's arithmetic, inlined.
			r := yy + 91881*cr
			g := yy - 22554*cb - 46802*cr
			bl := yy + 116130*cb
			o := 4 * (x - b.Min.X)
			d[o] = clamp16(r)
			d[o+1] = clamp16(g)
			d[o+2] = clamp16(bl)
			d[o+3] = 255
		}
	}
}

func clamp16(v int32) byte {
	if uint32(v)&0xff000000 == 0 {
		return byte(v >> 16)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// withDHT returns frame with the standard Huffman tables inserted before the first SOS marker
// when the frame has no DHT segment of its own.
func withDHT(frame []byte) []byte {
	if len(frame) < 4 || frame[0] != 0xff || frame[1] != 0xd8 {
		return frame // not a JPEG; let the decoder say so
	}
	for i := 2; i+4 <= len(frame); {
		if frame[i] != 0xff {
			return frame
		}
		marker := frame[i+1]
		switch {
		case marker == 0xc4: // DHT present
			return frame
		case marker == 0xda: // SOS without a DHT before it
			out := make([]byte, 0, len(frame)+len(standardDHT))
			out = append(out, frame[:i]...)
			out = append(out, standardDHT...)
			return append(out, frame[i:]...)
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01:
			i += 2
			continue
		}
		i += 2 + (int(frame[i+2])<<8 | int(frame[i+3]))
	}
	return frame
}
