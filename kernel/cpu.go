package kernel

import "time"

// A process's CPU time (Info.CPU) is its thread's CPU clock, read on the thread: at epoch
// ticks, before a host call blocks (at most once a millisecond: blockAt), and at the end.
// The clock is a system call (clock.go), 1-3 µs on a virtual machine, and a process that
// lives 30 µs would pay two of them, a quarter of its spawn. So the clock is first read at
// the process's first sample, not at its start, and until then (its first tick or blocking
// host call: guest code and quick host calls only) the process is charged its wall time on
// the thread, at most one tick. A process that ends before any sample is never read at all.
// The error is bounded by a tick (10 ms) per process and is zero while the OS does not
// preempt its thread: the same grain as the kernel's tick accounting (getrusage), exact from
// the first sample on. The one case charged for time it did not run: a guest blocked from
// its start in one of wasmtime's own WASI calls (a read of its stdin pipe), at most a tick.

// cpuTime is the process's CPU time so far. Only its thread calls it.
func (p *Process) cpuTime() time.Duration {
	if !p.onThread { // Spawn's caller building the instance: not the process's CPU
		return 0
	}
	now := threadCPU()
	if !p.cpuSet {
		p.cpuBase, p.cpuPre, p.cpuSet = now, p.wallOnThread(), true
	}
	return now - p.cpuBase + p.cpuPre
}

// endCPU is the process's CPU time at its end, read from the clock only if it was read before.
func (p *Process) endCPU() time.Duration {
	if p.onThread && !p.cpuSet {
		return p.wallOnThread()
	}
	return p.cpuTime()
}

// wallOnThread is the time since the process began on its thread, at most a tick.
func (p *Process) wallOnThread() time.Duration {
	return min(time.Duration(monoNow()-p.runStart), p.k.cfg.Tick)
}
