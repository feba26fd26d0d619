// Package compositor turns the desktop's surfaces into one picture.
//
// A Scene holds Surfaces back to front: each an RGBA8 raster (premultiplied alpha) with a
// content size, a pixel scale its owner may set (a 160x160 cart shown at 3x), a displayed
// rectangle, a Layer and a place in it. Layers keep chrome safe: LayerBackground <
// LayerWindows < LayerChrome; module surfaces live in LayerWindows and are opaque, so a module
// can neither draw over the shell's chrome nor punch holes in the desktop. A Device draws a
// scene: Software in pure Go (headless runs, screenshots, the reference picture), GL (gl.go,
// the only cgo here) with one texture per surface. Each device tracks damage (damage.go) and
// redraws only the rectangles that changed, pixel-identical to a full redraw. WritePNG saves a
// frame atomically.
//
// # Lifecycle and concurrency
//
// NewScene and the devices start nothing. Module threads call Surface.Present and Resize:
// Present copies the pixels once into a back buffer without a shared lock and flips buffers
// under the surface's lock. The shell, on the main thread, creates, moves, raises, hides and
// removes surfaces and composes when Scene.Changed fires (a one-slot channel, so signals
// coalesce and a presenter never blocks). A device takes Scene.Snapshot, then reads each
// surface's front buffer under its read lock, so a frame never shows half of a Present. The GL
// device is used on the thread that owns the GL context; Software by one goroutine at a time.
//
// Lock order: Surface.presentMu, then Scene.mu, then Surface.mu; nothing holds Surface.mu while
// taking Scene.mu.
//
// docs/design/compositor.md has the pixel and alpha rules, costs and libraries;
// docs/design/compositing.md the damage design and its figures.
package compositor
