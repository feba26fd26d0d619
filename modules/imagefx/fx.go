// Package main is imagefx, a shared library module: image effects on RGBA8 buffers (box blur,
// grayscale, invert). Apps import its functions by name ((import "imagefx" "blur" ...)); the
// kernel links a private instance of imagefx into each caller and copies the caller's buffer
// into the library's memory and back around every call.
//
// The filters are plain Go without a build tag so `go test` checks them natively; main.go holds
// the WASM exports.
package main

import "github.com/orbital/orbital/modules/internal/boxblur"

// Blur applies a box blur of the given radius to a w*h RGBA8 image in place (boxblur.Blur).
func Blur(pix []byte, w, h, radius int) { boxblur.Blur(pix, w, h, radius) }

// Grayscale replaces each pixel's colour by its luma (Rec. 601 weights), keeping alpha.
func Grayscale(pix []byte) {
	for i := 0; i+3 < len(pix); i += 4 {
		y := byte((299*int(pix[i]) + 587*int(pix[i+1]) + 114*int(pix[i+2]) + 500) / 1000)
		pix[i], pix[i+1], pix[i+2] = y, y, y
	}
}

// Invert replaces each colour channel c by 255-c, keeping alpha.
func Invert(pix []byte) {
	for i := 0; i+3 < len(pix); i += 4 {
		pix[i], pix[i+1], pix[i+2] = 255-pix[i], 255-pix[i+1], 255-pix[i+2]
	}
}
