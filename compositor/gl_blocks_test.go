//go:build cgo

package compositor

import (
	"image"
	"testing"
)

// TestGLBlocksMatchSoftware: surfaces shown as pixel blocks (nearest filtering) come out of the
// GL device as out of the software device, exactly, next to a bilinear one within rounding.
func TestGLBlocksMatchSoftware(t *testing.T) {
	s, _ := blocksScene(t)
	got, sw := composeBoth(t, glWindow(t, 160, 120), s)
	blocks := image.Rect(110, 10, 160, 30) // the 3x window above the glass: no blending
	compareFrames(t, got.SubImage(blocks).(*image.RGBA), sw.Frame().SubImage(blocks).(*image.RGBA), 0)
}
