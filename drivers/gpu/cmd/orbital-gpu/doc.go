// Command orbital-gpu is Orbital's GPU driver: a native executable the kernel starts, verifies
// and supervises (package drivers). It answers the gpu.* requests on the bus (compile shaders,
// run compute, draw into regions; docs/abi.md, "GPU") and runs each process's work in a worker
// process of its own that holds that process's GL context: the same executable started with
// --worker. A worker whose work runs past its time budget is killed, and only that process's
// context is lost.
//
// Arguments (from the kernel): --memory SIZE, --rate N, --budget DURATION, --first-run
// DURATION, --clients N, --backend egl-surfaceless|egl-device|glfw-hidden. Run by hand it
// explains that the kernel starts it and exits 1.
package main
