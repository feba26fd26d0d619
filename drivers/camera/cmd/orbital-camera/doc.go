// Command orbital-camera is Orbital's camera driver: a native executable the kernel starts,
// verifies and supervises (package drivers). It answers camera.list and camera.open on the bus
// and publishes RGBA frames on camera.<id>.frame in shared-memory regions, from V4L2 devices
// (/dev/video*, YUYV or MJPEG) or from the built-in test pattern (id "test").
//
// Run by hand it explains that the kernel starts it and exits 1.
package main
