// Package wasm4 is the WASM-4 fantasy console that Orbital runs cartridges on: the memory map
// and registers (palette, DRAW_COLORS, gamepads 1-4, mouse, system flags, the 160x160
// 2-bits-per-pixel framebuffer at 0xa0), the drawing functions (blit, blitSub, line, hline,
// vline, oval, rect, text in three encodings) with the console's 8x8 font, the trace
// functions with tracef's formats, the 1 KiB disk, the audio processor's synthesis, keyboard
// and mouse mapping, scripted input, and the conversion of the framebuffer into a scaled RGBA
// picture. It follows the public WASM-4 specification and its reference web runtime pixel for
// pixel; docs/design/wasm4.md says where and why it differs (bounded work for absurd
// arguments, reads past memory clipped rather than thrown).
//
// It is pure Go with no wasmtime in it: every function works on a Memory, the cart's 64 KiB
// linear memory as a byte slice, so it is tested without a runtime. The kernel (kernel/cart.go,
// cart_run.go) links these functions as the cart's `env` imports, creates the memory, runs
// start and update at 60 Hz on the cart's own thread and presents the Screen's picture.
//
// # Lifecycle
//
// Memory.Reset sets the power-on registers before the cart's data segments are written. A
// Screen, Controls, Player, Disk and APU are made once per cart process and live as long as
// it does; none starts a goroutine.
//
// # Concurrency
//
// Nothing here is safe for concurrent use, and nothing needs to be: a cart's console is used
// by the cart's own thread only (its host calls and its frame loop). A Memory slice aliases
// the store's memory and is valid only while the cart is not running.
//
// # Untrusted input
//
// Every pointer and length comes from the cart. Reads past the end of memory read as zero and
// report it (ok=false, Sprite.Over), so the kernel can log a warning once and the cart goes
// on; loops are bounded by what is visible (blit visits only on-screen pixels, a line far off
// screen is clipped first, an oval larger than 32768 pixels is refused), so no call can take
// long whatever its arguments.
package wasm4
