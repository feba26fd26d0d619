package gl

import (
	"fmt"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// openGLFW makes the context of a hidden 16x16 GLFW window current: the way to a GPU where EGL
// offers neither a surfaceless platform nor a device (an X server's GLX only).
func openGLFW() (func(), bool, error) {
	if err := glfw.Init(); err != nil {
		return nil, false, fmt.Errorf("glfw: %w", err)
	}
	glfw.WindowHint(glfw.Visible, glfw.False)
	glfw.WindowHint(glfw.ContextVersionMajor, 4)
	glfw.WindowHint(glfw.ContextVersionMinor, 3)
	glfw.WindowHint(glfw.OpenGLProfile, glfw.OpenGLCoreProfile)
	glfw.WindowHint(glfw.OpenGLForwardCompatible, glfw.True)
	glfw.WindowHint(glfw.ContextRobustness, glfw.LoseContextOnReset)
	robust := true
	w, err := glfw.CreateWindow(16, 16, "orbital-gpu", nil, nil)
	if err != nil { // robustness is optional (GLX_ARB_create_context_robustness)
		glfw.WindowHint(glfw.ContextRobustness, glfw.NoRobustness)
		robust = false
		w, err = glfw.CreateWindow(16, 16, "orbital-gpu", nil, nil)
	}
	if err != nil {
		glfw.Terminate()
		return nil, false, fmt.Errorf("glfw: hidden window: %w", err)
	}
	w.MakeContextCurrent()
	return func() { w.Destroy(); glfw.Terminate() }, robust, nil
}
