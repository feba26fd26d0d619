// Package gpu is the logic of Orbital's GPU driver (cmd/orbital-gpu): compute shaders and
// drawing for sandboxed modules, requested over the bus (protocol.go; docs/abi.md, "GPU") and
// run in a GL context of the process's own.
//
// # Shape
//
// The driver process (Service) holds no GL context. It checks every request (validate.go,
// work.go: handles, ranges, rights, counts, the process's GPU memory and dispatch rate) and
// queues it for the requesting process's client (client.go). Each client has a runner
// goroutine and, from its first work on, a worker: the same executable started with --worker
// (package worker), which opens a GL context (package gl) and runs jobs (job.go) one at a time,
// reading and writing the request's regions (memfds) itself: pixels and buffers go from the
// module's shared memory to the GPU and back in one copy each way, never through the driver.
//
// # Lifecycle and failures
//
// A job that runs past the process's time budget is abandoned: the runner kills the worker
// (the only way to stop a shader a GPU will not preempt, and on llvmpipe the GPU is the
// worker's own threads), answers ERR_BUDGET and audits it. A worker that crashes gives
// ERR_LOST. Either way the process's GPU buffers are lost; its shaders are compiled again in
// the next worker. A process that leaves the bus (the kernel's PeerGone) has its worker killed,
// mid-dispatch or not. Other processes' workers are untouched. When the kernel stops the
// driver, every worker is killed; workers also die with the driver (Pdeathsig, process group).
//
// # Concurrency
//
// Service.Run is one goroutine reading the driver's messages; it never waits for GL. Each
// client's runner goroutine alone talks to its worker; client.mu guards the client's handles,
// counters and limits (shared with the loop). Lock order: Service.mu, then client.mu.
//
// Reasons and measurements: docs/design/gpu.md.
package gpu
