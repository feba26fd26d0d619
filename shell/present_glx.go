//go:build linux && !wayland

package shell

/*
#cgo pkg-config: gl
#include <string.h>
#include <GL/glx.h>

#ifndef GLX_BACK_BUFFER_AGE_EXT
#define GLX_BACK_BUFFER_AGE_EXT 0x20F4
#endif

typedef void (*copySubBufferFn)(Display *, GLXDrawable, int, int, int, int);

// hasExtension reports whether the current display's GLX offers ext (a whole word of the
// space-separated list).
static int hasExtension(const char *ext) {
	Display *d = glXGetCurrentDisplay();
	if (!d) return 0;
	const char *list = glXQueryExtensionsString(d, DefaultScreen(d));
	size_t n = strlen(ext);
	for (const char *p = list; p && (p = strstr(p, ext)); p += n) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0)) return 1;
	}
	return 0;
}

static int hasCopySubBuffer(void) { return hasExtension("GLX_MESA_copy_sub_buffer"); }
static int hasBufferAge(void) { return hasExtension("GLX_EXT_buffer_age"); }

static copySubBufferFn copySubBuffer(void) {
	return (copySubBufferFn)glXGetProcAddressARB((const GLubyte *)"glXCopySubBufferMESA");
}

static void callCopySubBuffer(copySubBufferFn f, int x, int y, int w, int h) {
	f(glXGetCurrentDisplay(), glXGetCurrentDrawable(), x, y, w, h);
}

static int backBufferAge(void) {
	unsigned int age = 0;
	glXQueryDrawable(glXGetCurrentDisplay(), glXGetCurrentDrawable(), GLX_BACK_BUFFER_AGE_EXT, &age);
	return (int)age;
}
*/
import "C"

import (
	"image"

	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/orbital/orbital/compositor"
)

// newPresenter picks how frames reach the screen on GLX, with the window's context current:
// glXCopySubBufferMESA when GLX offers it (every Mesa driver, the software rasteriser
// included), else buffer swaps, told the back buffer's age when GLX_EXT_buffer_age says it.
func newPresenter() presenter {
	if C.hasCopySubBuffer() != 0 {
		if f := C.copySubBuffer(); f != nil {
			return &subBufferPresenter{copy: f}
		}
	}
	return &swapPresenter{bufferAge: C.hasBufferAge() != 0}
}

// subBufferPresenter never swaps: the back buffer always holds the last frame (age 1), and
// glXCopySubBufferMESA puts on screen only the rectangles the compositor wrote. With Mesa's
// software rasteriser a swap sends the whole window to the X server (XPutImage of every
// pixel); a sub-buffer copy sends the changed rectangles.
type subBufferPresenter struct {
	copy  C.copySubBufferFn
	shown bool // the back buffer has been filled once
}

func (p *subBufferPresenter) targetAge() int {
	if !p.shown {
		return 0
	}
	return 1
}

func (p *subBufferPresenter) present(_ *glfw.Window, fbW, fbH int, copied compositor.Region, whole bool) {
	if whole {
		copied = compositor.Region{image.Rect(0, 0, fbW, fbH)}
	}
	for _, r := range copied {
		C.callCopySubBuffer(p.copy, C.int(r.Min.X), C.int(fbH-r.Max.Y), C.int(r.Dx()), C.int(r.Dy()))
	}
	p.shown = true
}

// forget makes the next frame fill the whole back buffer (it was reallocated).
func (p *subBufferPresenter) forget() { p.shown = false }

// swapPresenter swaps buffers; the back buffer then holds what GLX_EXT_buffer_age says, or,
// without it, nothing known (the compositor copies the whole frame into it).
type swapPresenter struct{ bufferAge bool }

func (p *swapPresenter) targetAge() int {
	if !p.bufferAge {
		return 0
	}
	return int(C.backBufferAge())
}

func (p *swapPresenter) present(win *glfw.Window, _, _ int, _ compositor.Region, _ bool) {
	win.SwapBuffers()
}

func (p *swapPresenter) forget() {}
