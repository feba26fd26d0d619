package shell

import (
	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/orbital/orbital/compositor"
)

// presenter puts what the compositor's GL device drew into the window's back buffer on the
// screen. The device redraws only what changed, in a framebuffer of its own, and copies into
// the back buffer what that lacks (compositor.GL.SetTargetAge); the presenter says how old
// the back buffer's content is and shows the new frame. Main thread only.
type presenter interface {
	// targetAge is what the back buffer holds before the next frame: the frame presented
	// age frames ago, or 0 when unknown.
	targetAge() int
	// present shows the frame: copied is the part of the back buffer the device wrote
	// (framebuffer pixels, origin top-left); whole asks for every pixel (the window was
	// exposed).
	present(win *glfw.Window, fbW, fbH int, copied compositor.Region, whole bool)
	// forget says the back buffer's content is gone (the window was resized).
	forget()
}
