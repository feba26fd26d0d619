// Package bus routes messages between Orbital processes: one inbox per process, direct sends by
// pid, publish/subscribe on topics with wildcards, request/reply, and shared memory regions. It
// is pure Go (no cgo) and imports no other Orbital package.
//
// # Lifecycle
//
// New builds a Bus from a Config; it starts no goroutine. The kernel calls Attach when a process
// starts (its Inbox receives direct messages, publishes it subscribed to, requests, input events
// and quit requests) and Detach when it ends: the inbox closes (a blocked Recv returns
// ErrClosed), its subscriptions and pending requests go, and every region
// handle it held, or that sat in its queued messages, is released. A sender blocked on the
// closing inbox gets ErrNotFound (the receiver is gone), and so does a region created or
// adopted for it while it detaches. Detach twice is harmless.
//
// # Inboxes
//
// An inbox is multi-producer, single-consumer, bounded by message count and bytes
// (InboxLimits; a message alone in an empty inbox is always accepted so a large payload under
// the bus maximum is deliverable). Messages sit in a ring guarded by one mutex, with an atomic
// mirror of the count. A receiver first spins on that atomic and only then parks on a channel:
// waking a parked OS thread costs tens of µs on a small VM, and a module's host call runs on its
// own locked OS thread, so a short spin turns a request/reply round trip from two thread
// wake-ups into a few µs. The spin is adaptive (spinner, spin.go): up to Config.Spin (200 µs)
// while spins keep succeeding, halved after each miss down to none, with a full probe every
// 16th wait; and after a parked wait the signaller's timestamp says whether a full spin would
// have caught the message, in which case the full budget comes back. Without that last rule a
// ping-pong collapsed for good into parking: once one side parks, the other's reply is late by a
// wake-up (~50 µs here), its spin misses too, and halving alone ratchets both to zero (measured:
// p50 90 µs, p99 200 µs with a 30 µs budget; 7 µs and 34-44 µs with the feedback and 200 µs).
// After its first microsecond a spin calls sched_yield between checks, so on a loaded machine
// the thread it waits for can use this core. It never calls runtime.Gosched: on a locked thread
// that hands the P to another thread and back, as costly as parking. A fixed 20 µs spin without
// sched_yield was worse than no spin at all under load (86 µs), because it starved the thread
// it was waiting for.
//
// # Delivery modes
//
// Reliable (direct sends, requests, Reliable subscriptions): order is kept per sender; a full
// inbox makes the sender wait for room until its context ends (Publish: Config.SendTimeout when
// the context has no deadline), then the send fails with ErrFull. Lossy (Lossy subscriptions,
// Bus.Post for the kernel's input events): never waits; when the inbox is full the oldest queued
// lossy message of the same subscription (else of any lossy subscription) is evicted, or the new
// one dropped if only reliable messages are queued; each drop is counted in InboxStats.Drops. A
// slow consumer therefore only ever delays a reliable sender that chose to wait for it.
//
// A publish or request on a topic with no subscriber is ErrNotFound and counted in
// Stats.Unrouted: the publisher has no mode of its own, so the bus cannot tell whether it cared.
// Topics can be declared lossy for everyone (Config.LossyTopics, SetTopicMode): every
// subscription to them is lossy, and a publish nobody hears is counted in Stats.Dropped and
// succeeds. A posted quit request is never evicted or dropped (it may overfill an inbox by one).
// A receiver that exits while a message is on its way is ErrNotFound for the sender too, never
// ErrClosed, which always means "you, the caller, are being stopped".
//
// # Topics
//
// Topics are tokens separated by '.', printable ASCII, at most MaxTopicLen bytes; '/' is
// accepted as a separator too (as the policies accept it) and rewritten to '.' (Canonical)
// before the policy check, routing and delivery. Patterns may use '*' for exactly one token and
// a final '>' for one or more. Matching walks a trie by token (as NATS's server/sublist.go) and
// keeps a bounded cache (4096 topics) of results, cleared on any subscribe or unsubscribe;
// results are immutable slices shared by concurrent publishers. A process holds at most
// InboxLimits.MaxSubs subscriptions (DefaultMaxSubs, 1024; ErrLimit past it). Removing one costs
// O(its pattern's tokens) and releasing a process's all O(its own) or, when it holds most of
// them, O(the others') (docs/design/limits.md).
//
// # Request/reply
//
// Request delivers a KindRequest message with a fresh correlation id to every matching
// subscriber and waits on a private slot, not on the requester's inbox, so a reply never mixes
// with (or waits behind) other traffic and goes only to the requester. The first Reply from a
// process the request went to wins; late, duplicate or forged replies get ErrNotFound. When
// every process the request reached exits without replying, the requester gets ErrNotFound at
// once instead of waiting out its timeout.
//
// Call (call.go) is a request to one pid, for services by name: the kernel picked the process,
// so there is no topic match; it never waits for room (a full inbox is ErrFull at once: a storm
// of calls is refused, not queued), and the receiver ending before it replies ends the wait
// with ErrEnded. Its reply goes through Reply; FlagFailed marks a failure's message.
//
// # Regions
//
// A region is host memory owned by the bus, backed by a memfd mapped MAP_SHARED and sealed
// against resizing (falling back to the Go heap when memfd fails) so a native driver can map the
// same pages (Region.Fd) but never truncate them under the host's mapping. RegionAdopt does the
// reverse for a memfd a driver made. Each
// process has a handle table (handle > 0 -> region, rights). A handle travels in a message's
// Regions with the rights the receiver gets (read, write: never more than the sender holds) and
// optionally FlagTransfer (the sender's handle is released once the message is delivered). The
// receiver gets a handle in its own table when the message is queued; a message that is dropped
// or never received gives it back. A region is freed (munmap, close) when its last handle goes.
// Guests copy ranges in and out once (RegionRead/RegionWrite); host code reads in place through
// Region.Bytes while it holds a handle. Per-process limits: MaxRegions handles, MaxRegionBytes
// of live regions created.
//
// # Performance
//
// Benchmarks (make bench; each beside its baseline in the same run), measured on the 2-core VM
// at a load average of ~15 from parallel builds, so absolute figures are noisy:
//   - bus: BenchmarkSendRecv 176 ns vs 76 ns for a buffered channel (the bus adds limits,
//     accounting and regions); BenchmarkPingPong between two locked threads p50 0.9 µs vs
//     17 µs for channels; BenchmarkMatch with 10000 subscriptions 47 ns cached, 1.2 µs uncached,
//     vs 860 µs testing every pattern.
//   - kernel, two WASM guests: one-way 64-byte sends 4.7 µs/msg vs 4.3 µs moving the same
//     bytes through host calls and a Go channel (~90% of raw); request/reply p50 13 µs, p99
//     92 µs vs 26/171 µs (the p99 < 50 µs goal is not met on this loaded machine); 8 MiB through
//     a region 3.9 GB/s with the sender's write (70% of Go's memcpy at 5.6 GB/s) and 6.9 GB/s
//     for send plus the receiver's one copy.
//
// # Policy
//
// Every send, publish, subscribe, request, reply and region creation calls Config.Check with the
// acting pid and the object (topic, pattern, "pid:N", "create:SIZE"). An error denies the
// operation (it matches ErrDenied) and is counted in Stats.Denied and the actor's InboxStats.
//
// # Lock order
//
// Never hold two of these at once except in this order:
//
//	sublist.mu  ->  sublist.cmu (match cache)
//	Inbox.mu (ring)              (taken alone)
//	handleTable.mu               (taken alone: grants lock the sender's, release it, then the receiver's)
//	pendingTable.mu              (taken alone)
//
// The pid -> inbox map is a sync.Map: readers never lock, and attach and detach cost O(log n)
// (a copy-on-write map copied every inbox on each). Region reference counts are atomics; a
// region is freed by whoever drops the last reference.
//
// # Errors
//
// Every error wraps one sentinel (ErrFull, ErrTooBig, ErrNotFound, ErrClosed, ErrBadTopic,
// ErrDenied, ErrInvalid, ErrLimit, ErrRights, ErrTimeout, ErrExists) with the detail of what
// failed; the kernel maps sentinels to ABI codes in one table.
//
// # Libraries
//
// golang.org/x/sys/unix for memfd_create, ftruncate and mmap. Nothing else: the queue, trie and
// wait primitives are small and specific to Orbital's threading model.
package bus
