//go:build linux && cgo

package gl

/*
#cgo pkg-config: egl
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <string.h>

typedef struct { EGLDisplay d; EGLContext c; int robust; } orb_egl;

static const char *orb_egl_display(int device, EGLDisplay *out) {
	PFNEGLGETPLATFORMDISPLAYEXTPROC gpd = (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	if (!gpd) return "EGL has no eglGetPlatformDisplayEXT (EGL_EXT_platform_base)";
	const char *ext = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	if (!device) {
		if (!ext || !strstr(ext, "EGL_MESA_platform_surfaceless")) return "EGL_MESA_platform_surfaceless is not offered";
		*out = gpd(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
	} else {
		PFNEGLQUERYDEVICESEXTPROC qd = (PFNEGLQUERYDEVICESEXTPROC)eglGetProcAddress("eglQueryDevicesEXT");
		if (!qd || !ext || !strstr(ext, "EGL_EXT_platform_device")) return "EGL_EXT_platform_device is not offered";
		EGLDeviceEXT devs[8];
		EGLint n = 0;
		if (!qd(8, devs, &n) || n == 0) return "EGL lists no device";
		*out = gpd(EGL_PLATFORM_DEVICE_EXT, devs[0], NULL);
	}
	if (*out == EGL_NO_DISPLAY) return "no EGL display";
	return NULL;
}

// orb_egl_open makes an OpenGL 4.3 core context current on the calling thread, without a
// surface: robust buffer access (out-of-bounds reads give zeros or in-bounds values, writes are
// dropped) and lose-context-on-reset when the driver offers them.
static const char *orb_egl_open(int device, orb_egl *o) {
	EGLDisplay d;
	const char *err = orb_egl_display(device, &d);
	if (err) return err;
	if (!eglInitialize(d, NULL, NULL)) return "eglInitialize failed";
	if (!eglBindAPI(EGL_OPENGL_API)) { eglTerminate(d); return "eglBindAPI(EGL_OPENGL_API) failed"; }
	EGLint robust[] = {
		EGL_CONTEXT_MAJOR_VERSION, 4, EGL_CONTEXT_MINOR_VERSION, 3,
		EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
		EGL_CONTEXT_OPENGL_ROBUST_ACCESS, EGL_TRUE,
		EGL_CONTEXT_OPENGL_RESET_NOTIFICATION_STRATEGY, EGL_LOSE_CONTEXT_ON_RESET,
		EGL_NONE};
	EGLint plain[] = {
		EGL_CONTEXT_MAJOR_VERSION, 4, EGL_CONTEXT_MINOR_VERSION, 3,
		EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
		EGL_NONE};
	o->robust = 1;
	EGLContext c = eglCreateContext(d, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, robust);
	if (c == EGL_NO_CONTEXT) {
		o->robust = 0;
		c = eglCreateContext(d, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, plain);
	}
	if (c == EGL_NO_CONTEXT) { eglTerminate(d); return "no OpenGL 4.3 core context (compute shaders need 4.3)"; }
	if (!eglMakeCurrent(d, EGL_NO_SURFACE, EGL_NO_SURFACE, c)) {
		eglDestroyContext(d, c);
		eglTerminate(d);
		return "eglMakeCurrent without a surface failed (EGL_KHR_surfaceless_context)";
	}
	o->d = d;
	o->c = c;
	return NULL;
}

static void orb_egl_close(orb_egl *o) {
	eglMakeCurrent(o->d, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	eglDestroyContext(o->d, o->c);
	eglTerminate(o->d);
}
*/
import "C"

import "errors"

// openEGL makes a surfaceless context current on the calling (locked) thread: on Mesa's
// surfaceless platform (device false) or on the first EGL device (NVIDIA's way).
func openEGL(device bool) (close func(), robust bool, err error) {
	dev := C.int(0)
	if device {
		dev = 1
	}
	o := new(C.orb_egl)
	if e := C.orb_egl_open(dev, o); e != nil {
		return nil, false, errors.New(C.GoString(e))
	}
	return func() { C.orb_egl_close(o) }, o.robust != 0, nil
}
