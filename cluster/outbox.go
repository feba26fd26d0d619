package cluster

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/orbital/orbital/bus"
)

// Outboxes: what the local bus sends to one member node, in order. A publish does not go to
// NATS on the sender's thread: its frame is appended to the node's outbox and the node's
// flusher goroutine publishes everything appended meanwhile as one batch (op batch below). A
// guest flooding another node then never waits for the NATS connection's lock (held by
// nats.go's flusher while the embedded server reads), and both servers and the receiving
// client handle one NATS message per batch instead of one per bus message.
//
// Requests (nodeSink) go at once, after whatever the outbox holds; direct sends (procSink)
// flush the outbox before their NATS request. So one sender's messages to a node keep their
// order. A publish stays at most once, as before: a batch NATS refuses is logged and counted.
//
// A batch on the wire: u8 version, u8 op (5), u16 0, then per frame u32 length and the frame
// (wire.go). Its frames are publishes and requests only; the receiver decodes each strictly.

const (
	opBatch     = 5
	batchHeader = 4
	// maxBatch is the bytes of frames a batch takes before the sender flushes it itself.
	maxBatch = 256 << 10
	// A batch of fewer than lingerFrames frames, queued within streamGap of the outbox's
	// last flush (its sender is streaming), waits lingerWait before the flusher publishes it,
	// so that it grows (see linger).
	lingerFrames = 64
	streamGap    = 500 * time.Microsecond
	lingerWait   = 200 * time.Microsecond
	// maxSpare is how many buffers of sent batches an outbox keeps: the sender fills one
	// while the flusher publishes another, so with two neither ever starts an empty one (a
	// buffer grown again by doubling to 256 KiB per batch was fresh memory each time).
	maxSpare = 2
)

type outbox struct {
	n    *Node
	subj string

	sendMu sync.Mutex // held from taking a batch until NATS has it: batches go out in order

	mu        sync.Mutex
	buf       []byte // batch header, then length-prefixed frames
	frames    int
	scheduled bool      // on the flusher's queue, or lingering
	spare     [][]byte  // buffers of earlier batches (at most maxSpare), for the next ones
	flushedAt time.Time // when a batch last went
}

// outboxFor is node's outbox, made on first use.
func (n *Node) outboxFor(node string) *outbox {
	if o, ok := n.outboxes.Load(node); ok {
		return o.(*outbox)
	}
	o, _ := n.outboxes.LoadOrStore(node, &outbox{n: n, subj: fmt.Sprintf(subjMsg, node, n.cfg.Name)})
	return o.(*outbox)
}

// queue appends f, to be published by the flusher (or at once when the batch is full). A
// frame of maxBatch bytes or more goes alone, after the batch: together they could pass the
// connection's largest message.
func (o *outbox) queue(f frame) {
	if f.size() >= maxBatch {
		if err := o.flush(f.encode()); err != nil {
			o.n.bad.Add(1)
			o.n.logOnce("out-"+o.subj, "cluster: publishes to %s lost: %v", o.subj, err)
		}
		return
	}
	o.mu.Lock()
	if len(o.buf) == 0 {
		var b []byte
		if k := len(o.spare); k > 0 {
			b, o.spare = o.spare[k-1][:0], o.spare[:k-1]
		}
		o.buf = append(b, frameVersion, opBatch, 0, 0)
	}
	o.buf = f.appendTo(binary.LittleEndian.AppendUint32(o.buf, uint32(f.size())))
	o.frames++
	full := len(o.buf) >= maxBatch
	signal := !o.scheduled && !full
	o.scheduled = o.scheduled || signal
	o.mu.Unlock()
	if full {
		o.flush(nil)
		return
	}
	if signal {
		select {
		case o.n.flushq <- o:
		default: // the queue is full (many nodes): flush here
			o.flush(nil)
		}
	}
}

// flush publishes what the outbox holds, then then (a frame of a request), in that order;
// the error is then's.
func (o *outbox) flush(then []byte) error {
	o.sendMu.Lock()
	defer o.sendMu.Unlock()
	o.mu.Lock()
	buf, frames := o.buf, o.frames
	o.buf, o.frames, o.scheduled = nil, 0, false
	o.mu.Unlock()
	if frames > 0 {
		o.flushedAt = time.Now() // under sendMu; linger reads it under mu too
		data := buf
		if frames == 1 { // one frame alone goes as itself
			data = buf[batchHeader+4:]
		}
		o.publish(data)
		o.n.maxPayload.Store(o.n.nc.MaxPayload()) // the lock is free now (Node.maxPayload)
		o.mu.Lock()
		if len(o.spare) < maxSpare && cap(buf) <= 2*maxBatch {
			o.spare = append(o.spare, buf[:0]) // NATS copied it
		}
		o.mu.Unlock()
	}
	if then != nil {
		if err := o.n.nc.Publish(o.subj, then); err != nil {
			return err
		}
		o.n.sent.Add(1)
	}
	return nil
}

// publish sends a batch (or one publish); a failure loses publishes, which are at most once:
// counted and logged.
func (o *outbox) publish(data []byte) {
	if err := o.n.nc.Publish(o.subj, data); err != nil {
		o.n.bad.Add(1)
		o.n.logOnce("out-"+o.subj, "cluster: publishes to %s lost: %v", o.subj, err)
		return
	}
	o.n.sent.Add(1)
}

// flusher publishes the outboxes queued on flushq until the node closes.
func (n *Node) flusher() {
	defer n.wg.Done()
	for {
		select {
		case o := <-n.flushq:
			if o.linger() {
				time.AfterFunc(lingerWait, func() { o.flush(nil) })
				continue
			}
			o.flush(nil)
		case <-n.ctx.Done():
			return
		}
	}
}

// linger reports whether the flusher should let o's batch grow before publishing it: a
// Nagle-like rule. When the sender streams and the flusher keeps up, every batch is a few
// frames, and each costs the sender a wake-up of the parked flusher (tens of µs on a loaded
// VM) and both servers and the receiver a NATS message: the stream's rate fell to 150k msg/s
// with 19,405 batches for 50,000 publishes where 25 batches made 400k. So a small batch
// queued soon after the last one went waits lingerWait (the Go runtime sleeps at least ~1 ms
// on this machine: a timer's resolution) while the sender keeps appending without signalling.
// A lone publish (none went within streamGap) goes at once; requests and direct sends flush
// the outbox themselves, so a round trip never waits for this.
func (o *outbox) linger() bool {
	o.sendMu.Lock()
	recent := time.Since(o.flushedAt) < streamGap
	o.sendMu.Unlock()
	o.mu.Lock()
	small := o.frames > 0 && o.frames < lingerFrames
	o.mu.Unlock()
	return recent && small
}

// flushAll publishes every outbox's batch (the node is closing).
func (n *Node) flushAll() {
	n.outboxes.Range(func(_, v any) bool {
		v.(*outbox).flush(nil)
		return true
	})
}

// isBatch reports whether b is a batch (splitBatch) rather than one frame.
func isBatch(b []byte) bool { return len(b) >= 2 && b[0] == frameVersion && b[1] == opBatch }

// splitBatch decodes every frame of batch b strictly, appending them to out[:0]: one bad
// frame refuses the whole batch (out then has the frames before it). The frames alias b.
func splitBatch(b []byte, out []frame) ([]frame, error) {
	out = out[:0]
	if len(b) < batchHeader || b[0] != frameVersion || b[1] != opBatch || b[2] != 0 || b[3] != 0 {
		return out, fmt.Errorf("%w: a bad batch header", errFrame)
	}
	rest := b[batchHeader:]
	if len(rest) == 0 {
		return out, fmt.Errorf("%w: an empty batch", errFrame)
	}
	for len(rest) > 0 {
		if len(rest) < 4 {
			return out, fmt.Errorf("%w: a batch's frame length past the end", errFrame)
		}
		l := uint64(binary.LittleEndian.Uint32(rest))
		rest = rest[4:]
		if l > uint64(len(rest)) {
			return out, fmt.Errorf("%w: a batch's frame past the end", errFrame)
		}
		var prev *frame
		if len(out) > 0 {
			prev = &out[len(out)-1]
		}
		f, err := decodeFrameAfter(rest[:l:l], prev)
		if err != nil {
			return out, err
		}
		if f.op != opMessage || (f.kind != uint32(bus.KindPublish) && f.kind != uint32(bus.KindRequest)) {
			return out, fmt.Errorf("%w: op %d kind %d in a batch (publishes and requests only)", errFrame, f.op, f.kind)
		}
		out = append(out, f)
		rest = rest[l:]
	}
	return out, nil
}
