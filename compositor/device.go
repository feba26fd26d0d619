package compositor

import (
	"image"
	"image/color"
)

// Frame is the destination of a composition: an RGBA picture whose pixel (0, 0) is the desktop's
// top-left corner (its Bounds().Min maps to desktop (0, 0)).
type Frame = *image.RGBA

// Device draws a scene. The Software device draws into dst; the GL device draws into the
// current GL framebuffer and, when dst is not nil, reads the result back into it.
type Device interface {
	Compose(s *Scene, dst Frame) error
}

// DefaultBackground is the desktop colour behind every surface.
var DefaultBackground = color.RGBA{R: 0x1e, G: 0x22, B: 0x2a, A: 0xff}
