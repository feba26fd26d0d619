// Package bus routes messages between Orbital processes: one inbox per process, direct sends by
// pid, publish/subscribe on topics with wildcards, request/reply, calls to one pid, and shared
// memory regions. It is pure Go (no cgo) and imports no other Orbital package. The full design
// notes (the adaptive spin, delivery modes in detail, regions, measured figures) are in
// docs/design/bus.md.
//
// # Lifecycle
//
// New builds a Bus from a Config; it starts no goroutine. The kernel calls Attach when a process
// starts and Detach when it ends: the inbox closes (a blocked Recv returns ErrClosed), its
// subscriptions and pending requests go, and every region handle it held or that sat in its
// queued messages is released. A sender blocked on a closing inbox gets ErrNotFound.
//
// # Delivery
//
// An inbox is multi-producer, single-consumer, bounded by count and bytes. A receiver spins
// briefly (adaptive, spin.go) before parking, because waking a parked OS thread costs tens of
// µs. Reliable delivery (sends, requests, Reliable subscriptions) keeps order per sender and
// makes a sender wait for room until its context ends, then ErrFull; lossy delivery (Lossy
// subscriptions, input events) never waits and evicts the oldest lossy message, counting drops.
// Topics are '.'-separated tokens ('/' accepted), patterns use '*' and a final '>', matched by
// a trie with a bounded cache. Request waits on a private slot: the first reply from a process
// it reached wins. Call is a request to one pid, refused at once when the inbox is full.
// Regions are memfd-backed host memory shared by handle with rights, freed with their last
// handle.
//
// # Policy
//
// Every send, publish, subscribe, request, reply and region creation calls Config.Check with the
// acting pid and the object; an error denies (ErrDenied) and is counted.
//
// # Lock order
//
//	sublist.mu  ->  sublist.cmu (match cache)
//	Inbox.mu, handleTable.mu, pendingTable.mu: each taken alone
//
// The pid -> inbox map is a sync.Map (readers never lock). Region reference counts are atomics.
//
// # Errors
//
// Every error wraps one sentinel (ErrFull, ErrTooBig, ErrNotFound, ErrClosed, ErrBadTopic,
// ErrDenied, ErrInvalid, ErrLimit, ErrRights, ErrTimeout, ErrExists); the kernel maps sentinels
// to ABI codes in one table. Only golang.org/x/sys/unix is imported, for memfds and mmap.
package bus
