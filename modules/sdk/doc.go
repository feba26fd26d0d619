// Package sdk is the guest side of Orbital's host ABI (docs/abi.md): a Go module compiled with
// GOOS=wasip1 GOARCH=wasm imports it to log, read the clocks, open a surface (a window), present
// RGBA frames, and receive messages: input events, quit requests and bus traffic.
//
// A windowed module is usually a handful of lines:
//
//	s, err := sdk.NewSurface(320, 240, "Demo")
//	if err != nil { ... }
//	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
//	sdk.Run(s, 30, func(f *sdk.Frame) bool {
//		for _, ev := range f.Events { ... }  // input since the last frame
//		draw(img, f.Time)
//		f.Present(img)
//		return true
//	})
//
// Lifecycle: a module is a normal Go command (main, _start). NewSurface opens a window that
// stays until Close or process exit. Run returns nil when the kernel asks the process to quit
// (a quit request or ERR_CLOSED from a blocking call) or when the user closes the window; main
// then returns and the process exits 0.
//
// Concurrency: a WASM process has one thread. The functions here block that thread (Recv waits
// in the host), which is the intended model: the kernel gives every process its own OS thread.
// Do not call the SDK from several goroutines at once; Recv reuses one buffer.
//
// Bus traffic (bus*.go): Send/SendKind to a pid, Publish, Subscribe/Unsubscribe, Request/Reply
// and shared-memory Regions; what arrives shows up in Recv, or in Frame.Messages under Run.
//
// Services and HTTP routes (service.go, route.go): Call calls a service by name; Serve answers
// calls and ListenRoutes HTTP requests (which arrive as calls, method RouteMethod). In a
// reactor (-buildmode=c-shared) both only register their handler from init and the kernel
// calls it on the process's thread; in a command module they loop on Recv. HandleRoute
// answers one request in a receive loop of the module's own. docs/abi.md, "Services".
//
// The GPU (gpu.go): CompileCompute, CompileDraw, NewGPUBuffer, Compute and Draw talk to the
// GPU driver over the bus (RequestRegions), naming regions it reads and writes in place; a
// drawing is shown with Surface.PresentRegion. docs/abi.md, "GPU".
//
// Errors: every negative host result becomes an Errno whose constants carry the ABI's names
// (ErrClosed, ErrTimeout, ...), so `errors.Is(err, sdk.ErrClosed)` reads as the spec does.
//
// Build: files that call the host carry `//go:build wasip1`; the decoding (message.go, event.go)
// and error code (errors.go) files do not, so `go test ./sdk` runs natively without a WASM
// runtime. Package sdk/canvas holds anti-aliased drawing helpers for frames.
//
// Libraries: only the standard library. Host calls use //go:wasmimport with string and
// unsafe.Pointer parameters (Go lowers them to the ABI's ptr/len pairs), so Present hands the
// image's Pix to the host without a copy.
//
// The package does not export orbital_abi_version: in a Go command module every
// //go:wasmexport function traps ("wasmexport function called before runtime initialization")
// when called before _start, which is when the kernel checks it (tried: the kernel then refuses
// the module). A module declares the ABI version it needs in its manifest instead. It does
// export orbital_reload_save and orbital_reload_restore (reload.go, sdk.OnReload): the kernel
// calls those only from inside recv, while the runtime is up, and Go runs an export called
// during a host call on the calling goroutine's stack (docs/design/reload.md).
package sdk
