package gl

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// Backends, in the order Open tries them.
const (
	BackendSurfaceless = "egl-surfaceless" // Mesa's EGL platform without a window system
	BackendDevice      = "egl-device"      // EGL on a device (NVIDIA's headless EGL)
	BackendGLFW        = "glfw-hidden"     // a hidden GLFW window on $DISPLAY
)

// Context is one OpenGL 4.3+ core context, current on the OS thread that opened it. Every
// method must be called on that thread.
type Context struct {
	Backend  string
	Renderer string
	Version  string
	Robust   bool // robust buffer access: out-of-bounds reads are safe, writes dropped

	MaxGroups      [3]int // largest work-group count per dimension
	MaxLocal       [3]int // largest local size per dimension
	MaxInvocations int    // largest local size product
	MaxBindings    int    // shader storage buffer bindings
	MaxImages      int    // image units
	MaxTextures    int    // texture units in a fragment shader
	MaxTextureSize int
	MaxVertexAttrs int
	BufferAlign    int // a storage buffer binding's offset is a multiple of this

	close func()
	vao   uint32 // drawing's vertex array, rebuilt per draw
}

// Open makes a context current on the calling thread, which must be locked
// (runtime.LockOSThread) and stay so. backend "" tries the surfaceless platform, then an EGL
// device, then a hidden GLFW window when $DISPLAY is set; a named backend is tried alone.
func Open(backend string) (*Context, error) {
	var tries []string
	if backend == "" {
		tries = []string{BackendSurfaceless, BackendDevice, BackendGLFW}
	} else {
		tries = []string{backend}
	}
	var why []string
	for _, b := range tries {
		closeFn, robust, err := openBackend(b)
		if err != nil {
			why = append(why, b+": "+err.Error())
			continue
		}
		c, err := newContext(b, robust, closeFn)
		if err != nil {
			closeFn()
			why = append(why, b+": "+err.Error())
			continue
		}
		return c, nil
	}
	return nil, fmt.Errorf("gl: no OpenGL 4.3 context: %s", strings.Join(why, "; "))
}

func openBackend(b string) (func(), bool, error) {
	switch b {
	case BackendSurfaceless:
		return openEGL(false)
	case BackendDevice:
		return openEGL(true)
	case BackendGLFW:
		if os.Getenv("DISPLAY") == "" {
			return nil, false, errors.New("no $DISPLAY")
		}
		return openGLFW()
	}
	return nil, false, fmt.Errorf("unknown backend %q (use %s, %s or %s)", b, BackendSurfaceless, BackendDevice, BackendGLFW)
}

func newContext(backend string, robust bool, closeFn func()) (*Context, error) {
	if err := gl.Init(); err != nil {
		return nil, fmt.Errorf("load GL functions: %w", err)
	}
	c := &Context{Backend: backend, Robust: robust, close: closeFn,
		Renderer: gl.GoStr(gl.GetString(gl.RENDERER)), Version: gl.GoStr(gl.GetString(gl.VERSION))}
	var major, minor int32
	gl.GetIntegerv(gl.MAJOR_VERSION, &major)
	gl.GetIntegerv(gl.MINOR_VERSION, &minor)
	if major < 4 || major == 4 && minor < 3 {
		return nil, fmt.Errorf("OpenGL %d.%d (%s): compute shaders need 4.3", major, minor, c.Version)
	}
	for i := 0; i < 3; i++ {
		var g, l int32
		gl.GetIntegeri_v(gl.MAX_COMPUTE_WORK_GROUP_COUNT, uint32(i), &g)
		gl.GetIntegeri_v(gl.MAX_COMPUTE_WORK_GROUP_SIZE, uint32(i), &l)
		c.MaxGroups[i], c.MaxLocal[i] = int(g), int(l)
	}
	geti := func(e uint32) int {
		var v int32
		gl.GetIntegerv(e, &v)
		return int(v)
	}
	c.MaxInvocations = geti(gl.MAX_COMPUTE_WORK_GROUP_INVOCATIONS)
	c.MaxBindings = geti(gl.MAX_SHADER_STORAGE_BUFFER_BINDINGS)
	c.MaxImages = geti(gl.MAX_IMAGE_UNITS)
	c.MaxTextures = geti(gl.MAX_TEXTURE_IMAGE_UNITS)
	c.MaxTextureSize = geti(gl.MAX_TEXTURE_SIZE)
	c.MaxVertexAttrs = geti(gl.MAX_VERTEX_ATTRIBS)
	c.BufferAlign = max(geti(gl.SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT), 1)
	// Rows of images in memory run top to bottom: with the upper-left origin, clip-space
	// y = +1 is the first row glReadPixels returns, as it is the first row of a texture.
	gl.ClipControl(gl.UPPER_LEFT, gl.NEGATIVE_ONE_TO_ONE)
	gl.PixelStorei(gl.UNPACK_ALIGNMENT, 4)
	gl.PixelStorei(gl.PACK_ALIGNMENT, 4)
	gl.CreateVertexArrays(1, &c.vao)
	return c, nil
}

// Close destroys the context. Objects made with it are gone.
func (c *Context) Close() {
	if c.close != nil {
		c.close()
		c.close = nil
	}
}

// Lost reports whether the context was reset (a GPU hang the driver recovered from): every
// object is gone and the context must be closed.
func (c *Context) Lost() bool {
	return gl.GetGraphicsResetStatus() != gl.NO_ERROR
}

// check returns the first GL error as an error, draining the queue.
func check(op string) error {
	var first uint32
	for i := 0; i < 16; i++ {
		e := gl.GetError()
		if e == gl.NO_ERROR {
			break
		}
		if first == 0 {
			first = e
		}
	}
	switch first {
	case 0:
		return nil
	case gl.OUT_OF_MEMORY:
		return fmt.Errorf("%s: %w", op, ErrOutOfMemory)
	}
	return fmt.Errorf("%s: GL error 0x%x", op, first)
}

// ErrOutOfMemory is the GL's GL_OUT_OF_MEMORY.
var ErrOutOfMemory = errors.New("the GPU is out of memory")
