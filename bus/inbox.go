package bus

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// InboxLimits bound one process's endpoint on the bus. Zero fields take the Config defaults.
type InboxLimits struct {
	MaxMsgs        int   // queued messages (default 1024)
	MaxBytes       int   // queued bytes, as Message.Size counts them (default 4 MiB)
	MaxRegions     int   // region handles held at once (default 256)
	MaxRegionBytes int64 // bytes of regions created by this process and still alive (default 256 MiB)
	MaxSubs        int   // subscriptions held at once (default 1024)
}

// InboxStats is a snapshot of an inbox's counters.
type InboxStats struct {
	Depth   int    // messages queued now
	Bytes   int    // bytes queued now
	MsgsIn  uint64 // messages accepted into the inbox
	MsgsOut uint64 // messages taken out by the owner
	Drops   uint64 // lossy messages dropped (evicted or refused) because the inbox was full
	Sent    uint64 // messages this process sent, published or replied (accepted by the bus)
	Denied  uint64 // operations of this process refused by the policy hook
	Regions int    // region handles held
}

// entry is one queued message plus what the inbox needs to evict it.
type entry struct {
	m      Message
	size   int
	sub    uint64 // subscription it came through (0: direct, reply, event)
	lossy  bool
	remote bool // from another node (a remote endpoint): see signal
}

// Inbox is a process's mailbox: many producers, one consumer. Messages sit in a ring guarded by
// mu; count mirrors the ring's length in an atomic so the consumer can spin on it without the
// lock. The consumer parks on wake only after a short spin (Config.Spin): waking a parked OS
// thread costs tens of µs, while the next message often arrives within a few.
type Inbox struct {
	bus *Bus
	pid PID
	lim InboxLimits

	mu     sync.Mutex
	ring   []entry
	head   int
	n      int
	bytes  int
	closed bool
	room   chan struct{} // closed (and cleared) when space frees; nil while nobody waits

	count    atomic.Int64
	recvSpin spinner // the owner's Recv
	reqSpin  spinner // the owner's Request, waiting for a reply
	sleeping atomic.Int32
	wokenAt  atomic.Int64  // Now() when a producer last signalled the parked consumer
	wake     chan struct{} // capacity 1: a token for the parked consumer
	done     chan struct{} // closed by Close

	msgsIn, msgsOut, drops, sent, denied atomic.Uint64

	handles     handleTable  // region handles of this process
	regionBytes atomic.Int64 // bytes of live regions this process created

	sink Sink // set by AttachRemote: the endpoint stands for another node; nothing is queued

	lastRemote atomic.Bool // the last message the owner took came from another node
}

// remoteSpin caps a receiver's spin after a message from another node (RecvTimeout).
const remoteSpin = 20 * time.Microsecond

func newInbox(b *Bus, pid PID, lim InboxLimits) *Inbox {
	in := &Inbox{
		bus:  b,
		pid:  pid,
		lim:  lim,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	in.handles.init()
	return in
}

// PID is the owner of the inbox.
func (in *Inbox) PID() PID { return in.pid }

// Limits are the inbox's limits after defaults were applied.
func (in *Inbox) Limits() InboxLimits { return in.lim }

// Done is closed when the inbox closes.
func (in *Inbox) Done() <-chan struct{} { return in.done }

// fitsLocked reports whether a message of size bytes may be queued now. A message alone in an
// empty inbox always fits, so a payload over MaxBytes (but under the bus maximum) is deliverable.
func (in *Inbox) fitsLocked(size int) bool {
	if in.n == 0 {
		return true
	}
	return in.n < in.lim.MaxMsgs && in.bytes+size <= in.lim.MaxBytes
}

// firstRing is the ring's size once the inbox holds its first message (none before: a process
// that is never sent anything costs no ring).
const firstRing = 16

func (in *Inbox) pushLocked(e entry) {
	if in.n == len(in.ring) {
		grown := make([]entry, max(firstRing, 2*len(in.ring)))
		for i := 0; i < in.n; i++ {
			grown[i] = in.ring[(in.head+i)%len(in.ring)]
		}
		in.ring, in.head = grown, 0
	}
	in.ring[(in.head+in.n)%len(in.ring)] = e
	in.n++
	in.bytes += e.size
	in.count.Store(int64(in.n))
}

// removeLocked takes out the entry at logical index i (0 is the oldest).
func (in *Inbox) removeLocked(i int) entry {
	l := len(in.ring)
	e := in.ring[(in.head+i)%l]
	for j := i; j > 0; j-- { // shift older entries up by one, then advance head
		in.ring[(in.head+j)%l] = in.ring[(in.head+j-1)%l]
	}
	in.ring[in.head] = entry{}
	in.head = (in.head + 1) % l
	in.n--
	in.bytes -= e.size
	in.count.Store(int64(in.n))
	if in.room != nil {
		close(in.room)
		in.room = nil
	}
	return e
}

// victimLocked finds the oldest lossy entry, preferring one of the same subscription.
func (in *Inbox) victimLocked(sub uint64) int {
	any := -1
	for i := 0; i < in.n; i++ {
		e := &in.ring[(in.head+i)%len(in.ring)]
		if !e.lossy || e.m.Kind.kept() {
			continue
		}
		if e.sub == sub {
			return i
		}
		if any < 0 {
			any = i
		}
	}
	return any
}

// put queues e. Reliable entries wait for room while wait allows (ctx not done); lossy entries
// never wait: older lossy entries are evicted (and counted as drops), or e itself is dropped.
// It returns nil when e was queued, errDropped when a lossy e was dropped, ErrFull or ErrClosed.
func (in *Inbox) put(ctx context.Context, e entry, wait bool) error {
	var evicted []entry
	in.mu.Lock()
	for {
		if in.closed {
			in.mu.Unlock()
			return ErrClosed
		}
		fits := in.fitsLocked(e.size)
		if !fits && e.lossy {
			if v := in.victimLocked(e.sub); v >= 0 {
				evicted = append(evicted, in.removeLocked(v))
				in.drops.Add(1)
				continue
			}
			if !e.m.Kind.kept() {
				in.mu.Unlock()
				in.drops.Add(1)
				in.bus.releaseEntries(in, evicted)
				return errDropped
			}
			fits = true // never lost: it may overfill the inbox
		}
		if fits {
			in.pushLocked(e)
			in.mu.Unlock()
			in.msgsIn.Add(1)
			in.signal(e.remote)
			in.bus.releaseEntries(in, evicted)
			return nil
		}
		if !wait || ctx.Err() != nil {
			in.mu.Unlock()
			return ErrFull
		}
		if in.room == nil {
			in.room = make(chan struct{})
		}
		room := in.room
		in.mu.Unlock()
		select {
		case <-room:
		case <-in.done:
		case <-ctx.Done():
		}
		in.mu.Lock()
	}
}

// signal wakes the consumer if it is parked. The consumer sets sleeping before its last check of
// count, and producers bump count before reading sleeping, so a wake-up is never lost.
//
// A message from another node does not stamp wokenAt, so it never restores the consumer's
// full spin budget (spinner.parked): a consumer spinning for a remote message holds a core the
// network path needs, and the message comes a round trip later anyway.
func (in *Inbox) signal(remote bool) {
	if in.sleeping.Load() != 0 {
		if !remote {
			in.wokenAt.Store(Now())
		}
		select {
		case in.wake <- struct{}{}:
		default:
		}
	}
}

// TryRecv takes the oldest message without waiting.
func (in *Inbox) TryRecv() (Message, bool) {
	if in.count.Load() == 0 {
		return Message{}, false
	}
	in.mu.Lock()
	if in.n == 0 {
		in.mu.Unlock()
		return Message{}, false
	}
	e := in.removeLocked(0)
	in.mu.Unlock()
	in.msgsOut.Add(1)
	if e.remote != in.lastRemote.Load() {
		in.lastRemote.Store(e.remote)
	}
	return e.m, true
}

// Peek returns the oldest message without taking it (EncodedSize tells a caller the buffer it
// needs before it calls TryRecv).
func (in *Inbox) Peek() (Message, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.n == 0 {
		return Message{}, false
	}
	return in.ring[in.head].m, true
}

// Recv blocks until a message arrives, ctx ends (its error is returned) or the inbox closes
// (ErrClosed). Only the owner may call it, from one goroutine at a time.
func (in *Inbox) Recv(ctx context.Context) (Message, error) {
	return in.RecvTimeout(ctx, -1)
}

// RecvTimeout is Recv with a timeout as the ABI gives it: < 0 waits until ctx ends, 0 polls,
// > 0 waits at most that long and then returns ErrTimeout. It spares the caller a
// context.WithTimeout per call.
func (in *Inbox) RecvTimeout(ctx context.Context, timeout time.Duration) (Message, error) {
	var timer *time.Timer
	var expired <-chan time.Time
	var start int64 // Now() when this call first had to wait
	for {
		if m, ok := in.TryRecv(); ok {
			return m, nil
		}
		if in.isClosed() {
			return Message{}, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return Message{}, err
		}
		if timeout == 0 {
			return Message{}, ErrTimeout
		}
		if start == 0 {
			start = Now()
		}
		// After a message from another node, spin at most remoteSpin: a stream of them
		// (a flood of publishes) is caught without parking, while a reply a network round
		// trip away is not waited for on a core the network path needs (signal).
		max := in.bus.cfg.Spin
		if in.lastRemote.Load() {
			max = min(max, remoteSpin)
		}
		if in.recvSpin.spin(&in.count, max) {
			continue
		}
		if timeout > 0 && timer == nil {
			timer = time.NewTimer(timeout)
			defer timer.Stop()
			expired = timer.C
		}
		in.wokenAt.Store(0)
		in.sleeping.Store(1)
		if in.count.Load() != 0 {
			in.sleeping.Store(0)
			continue
		}
		select {
		case <-in.wake:
			in.recvSpin.parked(start, in.wokenAt.Load(), in.bus.cfg.Spin)
		case <-in.done:
		case <-ctx.Done():
		case <-expired:
			in.sleeping.Store(0)
			if m, ok := in.TryRecv(); ok {
				return m, nil
			}
			return Message{}, ErrTimeout
		}
		in.sleeping.Store(0)
	}
}

func (in *Inbox) isClosed() bool {
	select {
	case <-in.done:
		return true
	default:
		return false
	}
}

// Stats returns a snapshot of the inbox's counters.
func (in *Inbox) Stats() InboxStats {
	in.mu.Lock()
	depth, bytes := in.n, in.bytes
	in.mu.Unlock()
	return InboxStats{
		Depth:   depth,
		Bytes:   bytes,
		MsgsIn:  in.msgsIn.Load(),
		MsgsOut: in.msgsOut.Load(),
		Drops:   in.drops.Load(),
		Sent:    in.sent.Load(),
		Denied:  in.denied.Load(),
		Regions: in.handles.len(),
	}
}

// close marks the inbox closed, wakes every waiter and returns the entries still queued.
func (in *Inbox) close() []entry {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return nil
	}
	in.closed = true
	left := make([]entry, 0, in.n)
	for in.n > 0 {
		left = append(left, in.removeLocked(0))
	}
	close(in.done)
	in.mu.Unlock()
	return left
}
