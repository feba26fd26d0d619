// Package driverkit is the driver side of Orbital's native driver protocol (package wire): a
// driver executable calls Start, which checks that a kernel started it (the magic cookie in the
// environment), performs the versioned handshake over the inherited socket (fd 3) and returns a
// Driver that publishes, subscribes, answers requests and shares memory regions on the bus.
//
// Lifecycle: Start → (Publish, Subscribe, Reply, NewRegion, Messages...) → Close. The Driver's
// reader goroutine answers the host's heartbeat pings, so a driver whose reader is alive but
// whose Messages channel is never drained stalls the reader and is reported as hung: the host
// treats "not consuming its messages" as "not working". Stopping() is closed when the host asks
// the driver to stop (a Stop frame) or the socket closes; the driver should then return from
// main promptly, or it is sent SIGTERM and then SIGKILL.
//
// Regions: NewRegion creates a memfd (MFD_ALLOW_SEALING, so the host can seal its size), maps it
// shared and sends it to the host, which adopts it as a bus region. Writing into Region.Bytes()
// and publishing the region shares the pixels with the compositor or a guest with no copy in
// the kernel. Regions received in messages arrive as descriptors mapped on demand.
//
// Peers (protocol version 2): Message.Peer says who sent a message (module name, policy
// ceilings); a KindPeerGone message says a sender left the bus. Audit reports a refusal to the
// audit log, ReportUsage the per-process usage table the admin panel shows.
//
// Concurrency: every method of Driver may be called from any goroutine.
//
// Libraries: golang.org/x/sys/unix for memfd, mmap and the socket; nothing else, so a driver
// binary stays small.
package driverkit
