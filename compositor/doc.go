// Package compositor turns the desktop's surfaces into one picture.
//
// # Model
//
// A Scene holds Surfaces back to front. Each surface is an RGBA8 raster (premultiplied alpha, the
// layout of image.RGBA) with a content size, a pixel scale its owner may set (SetScale: a
// 160x160 console screen shown at 3x), a displayed rectangle in desktop coordinates (the
// content size times the pixel scale unless the shell scales it), a Layer and a place within
// the layer.
// Layers keep shell chrome safe: LayerBackground < LayerWindows < LayerChrome, module surfaces
// live in LayerWindows and only the shell (owner 0) uses the other two, so no module can draw
// over the URL bar, title bars or permission prompts. Module surfaces are opaque by default
// (their alpha is ignored, so a module cannot punch holes in the desktop); chrome is blended
// source-over.
//
// A Device draws a scene: Software composes into an *image.RGBA in pure Go (headless runs,
// screenshots, tests, the reference picture); GL (gl.go, cgo) keeps one texture per surface and
// draws textured quads into the current GL framebuffer. WritePNG saves a frame atomically.
//
// # Threading
//
//   - Module threads (one OS thread per WASM process, in the kernel) call Surface.Present and
//     Resize. Present copies the pixels once into the surface's back buffer without any shared
//     lock, then flips back and front under the surface's lock for a few nanoseconds.
//   - The shell, on the main thread, creates chrome surfaces, moves, raises, hides and removes
//     surfaces, and composes when Scene.Changed fires.
//   - A device takes Scene.Snapshot (geometry of the visible surfaces, under the scene lock for a
//     few field copies) and then reads each surface's front buffer with Surface.ReadPixels under
//     that surface's read lock. A presenter is held back at most for the time a device copies
//     or uploads that one surface, and a frame never shows half of a Present.
//   - The GL device must be used on the thread that owns the current GL context (GLFW: the
//     main OS thread). The Software device is used by one goroutine at a time.
//
// Lock order: Surface.presentMu, then Scene.mu, then Surface.mu. Nothing holds Surface.mu while
// taking Scene.mu.
//
// # Damage
//
// Every Present and Resize bumps the surface's generation (Surface.Generation) and the scene's
// version (Scene.Version), and signals Scene.Changed (a one-slot channel, so signals coalesce and
// a presenter never blocks on a slow shell). Each device keeps its own damage tracker
// (damage.go): it compares a snapshot with the one it drew last and yields the Region that
// changed (disjoint rectangles): a surface that presented, appeared, went away, moved, was
// resized, scaled, changed opacity or pixel scale, and the surfaces that changed place in the
// stacking order. Devices redraw only that region, from the background up, starting in each
// rectangle at the topmost opaque surface covering it, so the result equals a full redraw
// pixel for pixel (damage_test.go and gl_damage_test.go compare both paths over a sequence of
// changes).
// The Software device redraws into the frame it composed last (another frame: all of it).
// The GL device draws into a framebuffer object of its own (gl_frame.go), then copies into
// the target framebuffer what it lacks: only the damage when the caller says the target holds
// the last frame (SetTargetAge), else everything. TargetDamage tells a window system what to
// show anew. Invalidate forces a full redraw. docs/design/compositing.md has the reasons and
// figures.
//
// # Pixels and alpha
//
// Frames are opaque. Module surfaces are copied with alpha forced to 255 (a memmove per row and
// one OR per pixel); translucent surfaces are blended source-over in premultiplied form, the same
// equation as image/draw.Over and as the GL device's glBlendFunc(ONE, ONE_MINUS_SRC_ALPHA), so
// both devices give the same picture within rounding (the tests hold them to 2/255). Surfaces
// shown 1:1 or at exactly their pixel scale are sampled nearest (GL_NEAREST; the software
// device copies, or expands each row once into n x n blocks), so pixel art stays sharp and a
// HiDPI framebuffer shows each desktop pixel as a crisp block; surfaces the shell scales to
// another size are filtered bilinearly (GL_LINEAR, x/image/draw.ApproxBiLinear).
//
// # Costs
//
// Present costs one copy of the surface (the price of letting module threads run while the
// main thread composes); the GL device adds one glTexSubImage2D per damaged surface, one
// scissored quad per visible surface touching the damage, and one blit of it.
// BenchmarkComposeGL and BenchmarkComposeSoftware measure 1, 4 and 16 surfaces of 512x512
// damaged every frame into 1280x800, each next to a raw baseline; BenchmarkComposeDamageGL and
// BenchmarkComposeDamageSoftware one changing 300x300 window among 16 static ones, next to a
// full recomposite of the same scene; BenchmarkComposeCartGL and BenchmarkComposeCartSoftware a
// cart window presenting 160x160 at 3x beside a 480x480 one presenting 1:1.
//
// # Libraries
//
// The standard library's image/draw does source-over blending (its RGBA-to-RGBA path is fast);
// golang.org/x/image/draw scales surfaces the shell has resized. GL goes through
// github.com/go-gl/gl/v3.3-core (3.3 core is available everywhere Orbital runs, including Mesa
// llvmpipe under Xvfb and macOS, and has all we use); the window and context come from the shell
// (GLFW).
package compositor
