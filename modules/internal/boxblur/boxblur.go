// Package boxblur is the CPU box blur of Orbital's demos: the imagefx library's blur and the
// reference the gpublur demo's GPU blur is held to. Each output sample is the rounded mean of
// the input samples within radius along the line that are inside the image (a window that
// shrinks at the edges), first along rows, then along columns of the rows' result.
package boxblur

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
