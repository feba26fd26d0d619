//go:build !linux || wayland

package shell

import (
	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/orbital/orbital/compositor"
)

// newPresenter swaps buffers: without GLX, the back buffer's age is unknown, and the
// compositor copies the whole frame into it.
func newPresenter() presenter { return swapPresenter{} }

type swapPresenter struct{}

func (swapPresenter) targetAge() int { return 0 }

func (swapPresenter) present(win *glfw.Window, _, _ int, _ compositor.Region, _ bool) {
	win.SwapBuffers()
}

func (swapPresenter) forget() {}
