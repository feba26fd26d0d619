package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Op names a bus operation for the policy hook.
type Op uint8

const (
	OpSend      Op = iota + 1 // object: the receiver, "pid:N"
	OpPublish                 // object: the topic
	OpSubscribe               // object: the pattern
	OpRequest                 // object: the topic
	OpReply                   // object: the requester, "pid:N"
	OpRegion                  // object: "create:<size>"
)

func (o Op) String() string {
	switch o {
	case OpSend:
		return "send"
	case OpPublish:
		return "publish"
	case OpSubscribe:
		return "subscribe"
	case OpRequest:
		return "request"
	case OpReply:
		return "reply"
	case OpRegion:
		return "region"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Config is the bus's configuration. The zero value is usable: zero fields take the defaults.
type Config struct {
	MaxPayload    int           // largest payload accepted (default 1 MiB)
	MaxRegions    int           // region handles per message (default 16)
	Inbox         InboxLimits   // defaults for Attach's zero fields
	SendTimeout   time.Duration // how long a publish waits for a full reliable subscriber (default 1 s)
	Spin          time.Duration // longest a receiver spins before parking (default 200 µs; < 0 never); adaptive, see spinner
	MaxRegionSize int64         // largest single region (default 1 GiB)
	// LossyTopics are patterns of topics whose mode is lossy for every subscriber (see
	// SetTopicMode), e.g. "camera.*.frame": frames nobody watches are dropped, not errors.
	LossyTopics []string
	// Check is the policy hook: every operation passes through it with the acting pid. A non-nil
	// error denies the operation (it is wrapped to match ErrDenied) and is counted. nil allows all.
	Check func(op Op, pid PID, object string) error
}

func (c Config) withDefaults() Config {
	if c.MaxPayload <= 0 {
		c.MaxPayload = 1 << 20
	}
	if c.MaxRegions <= 0 {
		c.MaxRegions = 16
	}
	c.Inbox = c.Inbox.withDefaults(InboxLimits{MaxMsgs: 1024, MaxBytes: 4 << 20, MaxRegions: 256, MaxRegionBytes: 256 << 20, MaxSubs: DefaultMaxSubs})
	if c.SendTimeout <= 0 {
		c.SendTimeout = time.Second
	}
	if c.Spin == 0 {
		c.Spin = 200 * time.Microsecond
	}
	if c.MaxRegionSize <= 0 {
		c.MaxRegionSize = 1 << 30
	}
	return c
}

func (l InboxLimits) withDefaults(d InboxLimits) InboxLimits {
	if l.MaxMsgs <= 0 {
		l.MaxMsgs = d.MaxMsgs
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxRegions <= 0 {
		l.MaxRegions = d.MaxRegions
	}
	if l.MaxRegionBytes <= 0 {
		l.MaxRegionBytes = d.MaxRegionBytes
	}
	if l.MaxSubs <= 0 {
		l.MaxSubs = d.MaxSubs
	}
	return l
}

// DefaultMaxSubs is how many subscriptions a process may hold at once unless its InboxLimits
// say otherwise: far more than any module subscribes to (each is a pattern), few enough that a
// module subscribing in a loop ends with ErrLimit, not with the host's memory.
const DefaultMaxSubs = 1024

// Stats are bus-wide counters.
type Stats struct {
	Inboxes   int
	Subs      int
	Regions   int    // live regions
	Unrouted  uint64 // publishes and requests that matched no subscriber (reliable topics)
	Dropped   uint64 // publishes on lossy topics that matched no subscriber
	Denied    uint64 // operations refused by the policy hook
	Requests  uint64 // requests sent
	Replies   uint64 // replies delivered
	LateReply uint64 // replies that found no pending request (timed out, already answered)
}

// Bus routes messages between inboxes. Create one with New; it starts no goroutines.
type Bus struct {
	cfg Config

	// inboxes maps each attached pid to its *Inbox. Readers never lock, and attach and detach
	// cost O(log n): a copy-on-write map copied all n inboxes on every attach and detach, so
	// starting a thousand processes copied half a million entries.
	inboxes sync.Map
	ninbox  atomic.Int64 // inboxes attached

	subs    *sublist
	spin    spinner // for requesters without an inbox
	reqs    pendingTable
	regions regionSet

	modes *sublist // topic patterns declared lossy (SetTopicMode)

	unrouted, dropped, denied, requests, replies, lateReply atomic.Uint64
}

// New returns a bus with cfg (zero fields take defaults).
func New(cfg Config) *Bus {
	b := &Bus{cfg: cfg.withDefaults()}
	b.subs = newSublist()
	b.subs.interest = newInterest()
	b.modes = newSublist()
	b.reqs.init()
	for _, p := range b.cfg.LossyTopics {
		if err := b.SetTopicMode(p, Lossy); err != nil {
			panic(fmt.Sprintf("bus.New: Config.LossyTopics: %v", err)) // a programming error in the caller
		}
	}
	return b
}

// Config returns the bus's configuration after defaults were applied.
func (b *Bus) Config() Config { return b.cfg }

// Attach creates pid's inbox. Zero limit fields take Config.Inbox's values.
func (b *Bus) Attach(pid PID, lim InboxLimits) (*Inbox, error) {
	in := newInbox(b, pid, lim.withDefaults(b.cfg.Inbox))
	return in, b.attach(pid, in)
}

func (b *Bus) attach(pid PID, in *Inbox) error {
	if _, loaded := b.inboxes.LoadOrStore(pid, in); loaded {
		return fmt.Errorf("attach %v: %w", pid, ErrExists)
	}
	b.ninbox.Add(1)
	return nil
}

// Detach closes pid's inbox (a blocked Recv returns ErrClosed), drops its subscriptions and
// pending requests and releases its region handles and the regions in its queued messages.
// Detaching twice, or an unknown pid, is harmless.
func (b *Bus) Detach(pid PID) {
	v, ok := b.inboxes.LoadAndDelete(pid)
	if !ok {
		return
	}
	b.ninbox.Add(-1)
	in := v.(*Inbox)
	b.subs.removePID(pid)
	b.reqs.dropPID(pid)
	b.releaseEntries(in, in.close())
	b.releaseAll(in)
}

// Inbox returns pid's inbox.
func (b *Bus) Inbox(pid PID) (*Inbox, bool) {
	v, ok := b.inboxes.Load(pid)
	if !ok {
		return nil, false
	}
	return v.(*Inbox), true
}

// PIDs lists the attached pids (unordered).
func (b *Bus) PIDs() []PID {
	out := make([]PID, 0, b.ninbox.Load())
	b.inboxes.Range(func(k, _ any) bool {
		out = append(out, k.(PID))
		return true
	})
	return out
}

// Stats returns bus-wide counters.
func (b *Bus) Stats() Stats {
	return Stats{
		Inboxes:   int(b.ninbox.Load()),
		Subs:      b.subs.count(),
		Regions:   b.regions.count(),
		Unrouted:  b.unrouted.Load(),
		Dropped:   b.dropped.Load(),
		Denied:    b.denied.Load(),
		Requests:  b.requests.Load(),
		Replies:   b.replies.Load(),
		LateReply: b.lateReply.Load(),
	}
}

// check runs the policy hook and counts a denial on the bus and on the actor's inbox.
func (b *Bus) check(op Op, pid PID, object string) error {
	if b.cfg.Check == nil {
		return nil
	}
	err := b.cfg.Check(op, pid, object)
	if err == nil {
		return nil
	}
	b.denied.Add(1)
	if in, ok := b.Inbox(pid); ok {
		in.denied.Add(1)
	}
	if errors.Is(err, ErrDenied) {
		return err
	}
	return fmt.Errorf("%w: %s %s by %v: %v", ErrDenied, op, object, pid, err)
}

// errGone is deliver's result when the receiver's inbox closed under it (it is exiting). It
// matches ErrNotFound.
var errGone = fmt.Errorf("%w: the process is exiting", ErrNotFound)

// errDropped is put's result for a lossy message that found no room; callers count it.
var errDropped = errors.New("bus: dropped")

// validate checks what every message must satisfy before it is routed.
func (b *Bus) validate(m *Message) error {
	if len(m.Payload) > b.cfg.MaxPayload {
		return fmt.Errorf("%w: payload of %d bytes is over the maximum of %d", ErrTooBig, len(m.Payload), b.cfg.MaxPayload)
	}
	if len(m.Regions) > b.cfg.MaxRegions {
		return fmt.Errorf("%w: %d region handles is over the maximum of %d", ErrTooBig, len(m.Regions), b.cfg.MaxRegions)
	}
	return nil
}

// Send delivers m directly to m.To (reliable: it waits for room until ctx ends, then fails with
// ErrFull). m.From is the sender; m.Kind defaults to KindDirect. Attached regions are granted to
// the receiver (see Attachment).
func (b *Bus) Send(ctx context.Context, m Message) error { return b.SendTimeout(ctx, m, -1) }

// SendTimeout is Send with a timeout as the ABI gives it: < 0 waits for room until ctx ends, 0
// never waits, > 0 waits at most that long. A send that finds room at once costs no timer.
func (b *Bus) SendTimeout(ctx context.Context, m Message, timeout time.Duration) error {
	to, err := b.sendTarget(&m)
	if err != nil {
		return err
	}
	err = b.deliver(ctx, to, m, 0, false, false)
	if err == ErrFull && timeout != 0 {
		wctx := ctx
		if timeout > 0 {
			var cancel context.CancelFunc
			wctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		err = b.deliver(wctx, to, m, 0, false, true)
	}
	if err == ErrFull {
		return to.fullErr()
	}
	if err != nil {
		return err
	}
	b.finishTransfers(m.From, m.Regions)
	return nil
}

// TrySend is SendTimeout with timeout 0 for hot paths: when the inbox is full it returns the
// bare ErrFull sentinel, without formatting an error (no allocation), so the caller can decide
// to wait (SendTimeout) without paying for a message it throws away. It never waits on the
// network: to a remote endpoint it sends nothing and returns the bare ErrRemote (the caller
// sends with SendTimeout where it may block).
func (b *Bus) TrySend(m Message) error {
	to, err := b.sendTarget(&m)
	if err != nil {
		return err
	}
	if to.sink != nil {
		return ErrRemote
	}
	if err := b.deliver(context.Background(), to, m, 0, false, false); err != nil {
		return err
	}
	b.finishTransfers(m.From, m.Regions)
	return nil
}

// sendTarget prepares a direct send: the default kind, validation, the policy hook, and the
// receiver's inbox.
func (b *Bus) sendTarget(m *Message) (*Inbox, error) {
	if m.Kind == 0 {
		m.Kind = KindDirect
	}
	if err := b.validate(m); err != nil {
		return nil, fmt.Errorf("send to %v: %w", m.To, err)
	}
	if b.cfg.Check != nil {
		if err := b.check(OpSend, m.From, m.To.String()); err != nil {
			return nil, err
		}
	}
	to, ok := b.Inbox(m.To)
	if !ok {
		return nil, fmt.Errorf("send to %v: %w: no such process", m.To, ErrNotFound)
	}
	return to, nil
}

// fullErr is the error a sender gets when in stayed full.
func (in *Inbox) fullErr() error {
	return fmt.Errorf("send to %v: %w (%d messages queued, limit %d)", in.pid, ErrFull, in.count.Load(), in.lim.MaxMsgs)
}

// Post delivers m to m.To without ever waiting: when the inbox is full the oldest posted or
// lossy message is evicted (counted as a drop). For the kernel and the shell, which must never
// stall on a slow process: input events, notifications.
func (b *Bus) Post(m Message) error {
	if err := b.validate(&m); err != nil {
		return fmt.Errorf("post to %v: %w", m.To, err)
	}
	to, ok := b.Inbox(m.To)
	if !ok {
		return fmt.Errorf("post to %v: %w: no such process", m.To, ErrNotFound)
	}
	err := b.deliver(context.Background(), to, m, 0, true, false)
	if errors.Is(err, errDropped) {
		return nil
	}
	return err
}

// deliver stamps m, grants its regions to the receiver and queues it. The caller takes the
// sender's transferred handles (finishTransfers) once every delivery is done. A full inbox is
// the bare ErrFull (no allocation on the path that then waits); the caller formats it.
func (b *Bus) deliver(ctx context.Context, to *Inbox, m Message, sub uint64, lossy, wait bool) error {
	if to.sink != nil {
		return b.deliverRemote(ctx, to, m, sub)
	}
	if err := b.stamp(to, &m, sub); err != nil {
		return err
	}
	sender, known := b.Inbox(m.From)
	// A message from another node (its sender a remote endpoint) does not teach the receiver
	// to spin: it comes a network round trip after whatever the receiver did last.
	remote := known && sender.sink != nil
	err := to.put(ctx, entry{m: m, size: m.Size(), sub: sub, lossy: lossy, remote: remote}, wait)
	if err != nil {
		if len(m.Regions) > 0 {
			b.ungrant(to, m.Regions)
		}
		if err == ErrFull {
			return ErrFull // bare: callers that report it use Inbox.fullErr
		}
		if errors.Is(err, ErrClosed) {
			// Not ErrClosed: to the sender that would read as "you are being stopped".
			return fmt.Errorf("send to %v: %w", to.pid, errGone)
		}
		return err
	}
	if known && m.From != 0 {
		sender.sent.Add(1)
	}
	return nil
}

// stamp addresses m to to through subscription sub and grants its regions to to.
func (b *Bus) stamp(to *Inbox, m *Message, sub uint64) error {
	m.Sent = Now()
	m.To = to.pid
	m.Sub = uint32(sub)
	if len(m.Regions) > 0 {
		from, ok := b.Inbox(m.From)
		if !ok {
			return fmt.Errorf("%v: %w: the sender has no region table", m.From, ErrNotFound)
		}
		granted, err := b.grant(from, to, m.Regions)
		if err != nil {
			return err
		}
		m.Regions = granted
	}
	return nil
}

// releaseEntries releases the region handles carried by in's entries that will never be received.
func (b *Bus) releaseEntries(in *Inbox, es []entry) {
	for i := range es {
		if len(es[i].m.Regions) > 0 {
			b.ungrant(in, es[i].m.Regions)
		}
	}
}
