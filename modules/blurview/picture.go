// Command blurview is the demo app of the imagefx shared library: it draws a picture and shows
// it next to a copy processed by imagefx's blur, grayscale and invert, which it imports by name
// ((import "imagefx" "blur" ...)). The kernel links the best installed imagefx version that
// satisfies module.toml's range, one private instance per blurview process.
//
// Keys: b blurs more, g grayscale, i invert, r reset. `blurview --check` runs the filters on a
// test image, checks their results and exits (0 when all are right), without a window.
package main

import "image"

// Picture draws the test image: a colour gradient with a checkerboard and a white disc, so every
// filter visibly changes it.
func Picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := img.PixOffset(x, y)
			r, g, b := byte(x*255/max(w-1, 1)), byte(y*255/max(h-1, 1)), byte(128)
			if (x/16+y/16)%2 == 0 {
				b = 220
			}
			dx, dy := x-w/2, y-h/2
			if dx*dx+dy*dy < (h/4)*(h/4) {
				r, g, b = 255, 255, 255
			}
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = r, g, b, 255
		}
	}
	return img
}

// SideBySide copies a and b into one image, a on the left.
func SideBySide(dst, a, b *image.RGBA) {
	w := a.Rect.Dx()
	for y := 0; y < a.Rect.Dy(); y++ {
		copy(dst.Pix[y*dst.Stride:], a.Pix[y*a.Stride:y*a.Stride+w*4])
		copy(dst.Pix[y*dst.Stride+w*4:], b.Pix[y*b.Stride:y*b.Stride+w*4])
	}
}
