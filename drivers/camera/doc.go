// Package camera is Orbital's camera driver: the logic of the orbital-camera executable
// (cmd/orbital-camera), which the kernel runs out of process through package drivers.
//
// Sources: V4L2 capture devices on Linux (v4l2_linux.go: enumerate /dev/video*, VIDIOC_QUERYCAP,
// negotiate YUYV or else MJPEG at the asked size with VIDIOC_S_FMT, frame rate with
// VIDIOC_S_PARM, four mmap buffers, poll + DQBUF/QBUF) and a test pattern that runs everywhere
// (pattern.go: moving colour bars with the frame counter drawn as digits, which FindCounter
// reads back from a frame or a screenshot). Conversions (convert.go) write RGBA8 straight into
// the shared region: YUYV with integer BT.601, MJPEG with image/jpeg (the standard Huffman tables
// are inserted when a webcam omits them).
//
// Bus protocol (JSON payloads, chosen for readability: the messages are small and rare, and a
// Go guest decodes them with encoding/json):
//
//	camera.list  request  {}                                  -> ListReply {cameras, errors}
//	camera.open  request  {"id","width","height","fps"}       -> OpenReply {topic, width, height, stride, ... | error}
//	camera.close request  {"id"}                              -> {} or {"error"}
//	camera.<id>.frame  publish  FrameMeta + one region (read right), RGBA8 pixels, seq trailer
//
// A stream is shared: opening an open camera returns its settings. It runs until camera.close,
// or until nobody has subscribed to its frame topic for 5 s (driver argument --idle), so a
// crashed viewer does not leave a camera capturing. Errors come back in the
// reply's "error" field: no device ("no camera device found: /dev/video* is empty"), a node that
// is not a camera, a busy device, a device offering neither YUYV nor MJPEG, an fps outside
// 1..1000. Messages to the driver pass the kernel's device check for "camera" first.
//
// Lifecycle: Service.Run subscribes and answers until the kernel stops the driver; each open
// stream has one goroutine that fills the next region of its ring and publishes it; close and
// shutdown stop it and drop its regions.
//
// Libraries: golang.org/x/sys/unix for the V4L2 ioctls and mmap (no cgo, so the driver is a
// static binary), image/jpeg for MJPEG.
package camera
