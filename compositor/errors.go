package compositor

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers match them with errors.Is; the messages wrapped around them name the
// surface and the values that were refused.
var (
	// ErrBadSize: a width or height outside 1..MaxSize.
	ErrBadSize = errors.New("compositor: surface size out of range")
	// ErrBadStride: a stride smaller than width*4 or a pixel buffer too short for the surface.
	ErrBadStride = errors.New("compositor: bad stride or pixel buffer length")
	// ErrClosed: the surface was closed or removed from its scene.
	ErrClosed = errors.New("compositor: surface closed")
	// ErrFrameSize: a destination frame whose size does not match the device.
	ErrFrameSize = errors.New("compositor: frame size does not match the device")
)

// MaxSize is the largest width or height of a surface, in pixels.
const MaxSize = 8192

func checkSize(w, h int) error {
	if w < 1 || h < 1 || w > MaxSize || h > MaxSize {
		return fmt.Errorf("%w: %dx%d (each side must be 1..%d)", ErrBadSize, w, h, MaxSize)
	}
	return nil
}
