// Package gl is the GPU driver's OpenGL layer: a context without a window and the few objects
// the driver needs (programs, buffers, RGBA8 textures, offscreen targets), with compute
// dispatch and drawing. Only the GPU driver's worker process uses it (drivers/gpu/worker); it
// is the one place in Orbital outside compositor and shell where cgo meets GL, because a
// native driver is its own process (docs/design/gpu.md).
//
// Contexts: Open tries Mesa's EGL surfaceless platform, then an EGL device (NVIDIA's headless
// EGL), then a hidden GLFW window on $DISPLAY. It asks for an OpenGL 4.3 core context (compute
// shaders) with robust buffer access, so a shader that indexes past a buffer reads zeros or
// in-bounds values and its stray writes are dropped, and with lose-context-on-reset, so a GPU
// that resets after a hang reports it (Context.Lost).
//
// Orientation: images are stored top row first everywhere (regions, textures, targets). The
// context draws with the upper-left clip origin (glClipControl), so clip-space y = +1 is the
// first row of a target, and imageLoad(ivec2(x, 0)) is the first row of an image.
//
// Concurrency: a Context is current on the OS thread that opened it; every method and every
// object must be used on that thread (the worker locks its main goroutine to it).
//
// Libraries: github.com/go-gl/gl/v4.3-core for GL calls (function pointers loaded through
// glvnd's dispatch, which serves EGL and GLX contexts alike), github.com/go-gl/glfw for the
// window fallback; EGL itself through a small cgo file (egl.go).
package gl
