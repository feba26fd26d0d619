// Package main is imagefx, a shared library module: image effects on RGBA8 buffers (box blur,
// grayscale, invert). Apps import its functions by name ((import "imagefx" "blur" ...)); the
// kernel links a private instance of imagefx into each caller and copies the caller's buffer
// into the library's memory and back around every call.
//
// The filters are plain Go without a build tag so `go test` checks them natively; main.go holds
// the WASM exports.
package main

// Blur applies a box blur of the given radius to a w*h RGBA8 image in place (two separable
// passes, each a running sum, so the cost does not grow with the radius).
func Blur(pix []byte, w, h, radius int) {
	if radius <= 0 || w <= 0 || h <= 0 {
		return
	}
	tmp := make([]byte, len(pix))
	boxPass(pix, tmp, w, h, radius, 4, w*4) // horizontal: step one pixel, rows of w*4
	boxPass(tmp, pix, h, w, radius, w*4, 4) // vertical: step one row, "rows" are columns
}

// boxPass blurs n samples of each of m lines: sample i of line j is at j*lineStep + i*step.
func boxPass(src, dst []byte, n, m, r, step, lineStep int) {
	for j := 0; j < m; j++ {
		base := j * lineStep
		for c := 0; c < 4; c++ {
			var sum, count int
			for i := 0; i <= r && i < n; i++ {
				sum += int(src[base+i*step+c])
				count++
			}
			for i := 0; i < n; i++ {
				dst[base+i*step+c] = byte((sum + count/2) / count)
				if out := i - r; out >= 0 {
					sum -= int(src[base+out*step+c])
					count--
				}
				if in := i + r + 1; in < n {
					sum += int(src[base+in*step+c])
					count++
				}
			}
		}
	}
}

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
