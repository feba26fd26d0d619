package kernel

import "github.com/orbital/orbital/bus"

// Display is what the kernel needs from whatever shows surfaces: the compositor's scene in
// practice, adapted by package system. The kernel never imports the compositor.
type Display interface {
	CreateSurface(owner SurfaceOwner, title string, w, h int) (Surface, error)
}

// SurfaceOwner names the process a surface belongs to.
type SurfaceOwner struct {
	PID  bus.PID
	Name string
}

// Surface is one guest window.
type Surface interface {
	// Present copies pix (rows of stride bytes, RGBA8, the surface's size) into the surface.
	// It is called on the module's thread; pix is valid only during the call.
	Present(pix []byte, stride int) error
	Resize(w, h int) error
	Close()
}
