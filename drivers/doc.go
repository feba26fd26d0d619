// Package drivers runs Orbital's native drivers: executables that touch hardware out of the
// kernel's process, appear on the bus like any module (a pid that publishes, subscribes, answers
// requests) and share large data (camera frames) through memory regions instead of copies.
//
// # Contract
//
// A driver is an executable in a registry package of kind "driver" (one binary per platform,
// with its sha256). It links package driverkit, which speaks the protocol of package wire over
// a unix socket inherited as fd 3. A Spec names the binary, its digest, the device grant that
// processes need to talk to it, its arguments, restart policy and resource limits.
//
// # Lifecycle of one driver process (instance)
//
//  1. Verify: the binary is copied into a memfd while it is hashed; a digest that differs from
//     the Spec's is refused (ErrDigest, *DigestError) and nothing runs. The memfd is sealed
//     (no write, shrink, grow) and the child executes it, so the bytes that run are exactly the
//     bytes that were checked, whatever happens to the file afterwards. This runs before every
//     exec, restarts included.
//  2. Exec (sandbox_linux.go): the kernel re-executes itself (/proc/self/exe) as a trampoline
//     from a dedicated OS thread; the trampoline applies PR_SET_NO_NEW_PRIVS, rlimits and marks
//     stray descriptors close-on-exec, then execs the image. See Isolation.
//  3. Handshake (after hashicorp/go-plugin): the child's environment carries a magic cookie and
//     the protocol versions the kernel accepts; the driver's first frame (Hello) must echo the
//     cookie and pick a version within HandshakeTimeout, or it is refused (ErrHandshake) with
//     Reject and stopped. Welcome gives the driver its bus pid, the heartbeat interval and args.
//  4. Run: the driver's inbox is attached to the bus. A pump goroutine forwards bus messages to
//     the socket (Deliver); a reader goroutine performs the driver's operations (Subscribe,
//     Publish, Request, Reply, Send, RegionAdd); a heartbeat goroutine pings every Heartbeat.
//  5. Stop: on request, crash (the process exits), hang (no frame for 3 heartbeats, or a socket
//     write blocked WriteTimeout) or protocol violation (garbage, a bad frame, an unexpected
//     type), the instance is stopped with a reason, escalating: a Stop frame, StopGrace, SIGTERM
//     to its process group, TermGrace, SIGKILL to the group, then wait. Afterwards the group is
//     SIGKILLed once more (anything the driver spawned), the pid is detached from the bus (its
//     subscriptions and region handles go) and the socket closed. Only that driver stops.
//
// A Driver supervises instances: with restart policy "on-failure" a crashed, hung or violating
// instance is restarted after a backoff (doubling, capped) under the same bus pid, up to
// MaxRestarts, then marked failed. A binary whose digest stops matching is never retried.
//
// # Peers, refusals and usage (protocol version 2)
//
// Before the first message a process sends a driver, and again when its policy changes, the
// host tells the driver who it is (wire.Peer: the module name and its policy's ceilings, from
// Config.Peer); when that process leaves the bus, the heartbeat says so (PeerGone). A driver
// that enforces limits of its own reports its refusals (Audit, into the audit log through
// Config.Audit) and a per-process usage table (Usage, shown in Info.Usage and the admin panel).
// The GPU driver uses all four; version-1 drivers are still accepted and get none of them.
//
// # Shared memory
//
// A driver creates a memfd (MFD_ALLOW_SEALING), maps it and sends it with RegionAdd; the host
// seals it against shrinking and growing (so the driver cannot truncate pages under the
// kernel's mapping, which would SIGBUS the kernel) and adopts it as a bus region
// (bus.RegionAdopt). Publishing a frame then moves a handle: the compositor reads the pixels in
// place (zero host copies), a guest copies once into its linear memory. Regions sent to a driver
// travel as duplicated memfds (the driver's bus handle is released once the descriptor is sent).
//
// # Isolation: exactly what is and is not isolated
//
// Applied to every driver (Info.Isolation lists it):
//   - env: a fresh environment (PATH, LANG, TZ and the protocol variables), nothing inherited;
//     $DISPLAY and $XAUTHORITY too for a driver whose manifest asks for windows (Spec.Display).
//   - fds: only stdin (/dev/null), stdout and stderr (a pipe into the kernel log) and the socket;
//     the trampoline marks every other descriptor close-on-exec, and the image memfd closes at exec.
//   - pgid: its own process group, so a stop signals everything it spawned.
//   - pdeathsig: SIGKILL when the kernel dies (Pdeathsig, set from a thread that lives as long
//     as the Manager, since Linux ties it to the forking thread).
//   - no-new-privs: setuid/setgid binaries and file capabilities grant nothing after exec.
//   - rlimits: address space, open files, file size (which also bounds memfd regions), no core
//     dumps, optional CPU seconds (Spec.Limits).
//   - netns: unless Spec.Network, a new user and network namespace (no network but a down
//     loopback), when the OS allows unprivileged user namespaces; otherwise omitted and logged.
//
// Not isolated: the filesystem (a driver reads and writes what the user can; there is no mount
// namespace or chroot), devices (it opens any device node the user can: that is its job), other
// processes of the same user (it may signal or ptrace them where the OS allows), system calls
// (no seccomp filter), CPU and memory beyond rlimits (no cgroup). A driver is trusted native code
// that the user installed, verified by digest; the sandbox contains its bugs and limits what a
// compromised driver reaches, it is not a boundary against a hostile one. Device access by other
// processes is checked: every message a process sends to a driver passes Config.CheckDevice with
// the driver's device name; a denied request is answered by the host with {"error": "..."}.
//
// # Costs
//
// BenchmarkFrames1280x720 (drivers/camera) runs the camera driver's test pattern through the
// real protocol into a consumer in the kernel process: about 900 frames/s at 1280x720 on the
// 2-core development VM (the goal is 60), with about 200 bytes per frame crossing the socket
// (the frame message) and 0 copies of the pixels in the kernel (reported as
// host-copies/frame = socket bytes / frame bytes, 0.00005), against a baseline of one memcpy
// of the frame (base=memcpy-frame, ~13000/s). Starting and stopping a driver (BenchmarkStart)
// takes about 20 ms against 3.5 ms for a plain fork+exec+wait of the same binary: one copy of
// the binary into a memfd and its sha256, one re-exec of the kernel binary as the trampoline,
// the handshake, and the Stop frame and reaping.
//
// Bus pids: drivers get pids from FirstPID (1<<20) up unless Config.AllocPID says otherwise,
// so they never collide with the kernel's WASM pids; a driver keeps its pid across restarts.
//
// # Why this protocol
//
// go-plugin speaks gRPC over a socket it announces on stdout. A driver's frames need file
// descriptors (SCM_RIGHTS) and cost one small write each, so package wire is a length-prefixed
// binary framing over a socketpair passed at exec: no listening socket, no address to race for,
// and descriptors travel with the frame that names them. See package wire.
//
// # Concurrency
//
// Manager and Driver methods are safe from any goroutine. Each instance owns four goroutines
// (reader, pump, heartbeat, output reader) plus one waiter and bounded request goroutines, all
// ended by its shutdown, which runs once. Lock order: Manager.mu, then Driver.mu, then
// instance.mu; instance.rmu (region map) is taken alone.
//
// # Platform
//
// Linux: memfd regions and images, SCM_RIGHTS, prctl, close_range, Pdeathsig and namespaces
// are Linux interfaces. Another POSIX system would need shm_open-backed regions, a fexecve
// image and its own sandbox; that port is not done.
//
// # Libraries
//
// golang.org/x/sys/unix (memfd, seals, socketpair, SCM_RIGHTS, prctl, close_range) and the
// standard library's os/exec (SysProcAttr: Setpgid, Pdeathsig, namespaces).
package drivers
