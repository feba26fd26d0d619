package main

import (
	"encoding/binary"
	"fmt"
	"image"
)

// frameHeader is the payload producer publishes with each region.
type frameHeader struct{ W, H, N int }

func parseHeader(p []byte) (frameHeader, error) {
	if len(p) < 12 {
		return frameHeader{}, fmt.Errorf("frame header of %d bytes, want 12", len(p))
	}
	le := binary.LittleEndian
	return frameHeader{int(le.Uint32(p[0:])), int(le.Uint32(p[4:])), int(le.Uint32(p[8:]))}, nil
}

// waiting paints the image shown before the first frame: dark grey.
func waiting(img *image.RGBA) {
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 40, 40, 40, 255
	}
}
