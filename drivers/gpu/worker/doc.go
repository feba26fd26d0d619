// Package worker is the GPU driver's worker process: `orbital-gpu --worker`, started by the
// driver (package gpu) for one client process. It opens a GL context (package gl), says hello
// with the context's properties, then runs the driver's jobs one at a time from its socket
// (fd 3): compile, buffer, copy, release, compute, draw. Regions arrive as memfd descriptors
// with each job and stay open for the job only (the descriptor keeps the pages alive even if the
// region is freed meanwhile); the worker uploads what the GPU reads and downloads what it wrote,
// with pread and pwrite into and out of mapped GL buffers, and maps a region only for pictures
// with a row stride (region.go).
//
// Scratch objects (the buffer a region is uploaded into, an image's texture, a draw target)
// are kept for the next job of the same size, up to what the driver allows (pool.go).
//
// Lifecycle: it exits when the driver closes the socket, when the GL context is reset (a GPU
// hang), after a Go panic (answered first), or when the driver kills it (a job past its
// budget). Concurrency: one goroutine, locked to the OS thread that holds the context.
package worker
