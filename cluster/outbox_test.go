package cluster

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
)

// batchOf builds a batch of fs as an outbox does.
func batchOf(fs ...frame) []byte {
	b := []byte{frameVersion, opBatch, 0, 0}
	for _, f := range fs {
		b = f.appendTo(binary.LittleEndian.AppendUint32(b, uint32(f.size())))
	}
	return b
}

// A batch decodes to its frames; anything off (header, lengths, a bad frame, a kind other
// than publish or request) refuses the whole batch.
func TestSplitBatch(t *testing.T) {
	pub := frame{op: opMessage, kind: uint32(bus.KindPublish), from: 1, topic: "a.b", payload: []byte("p")}
	req := frame{op: opMessage, kind: uint32(bus.KindRequest), from: 2, corr: 9, topic: "a.c", module: "m"}
	fs, err := splitBatch(batchOf(pub, req, pub), nil)
	if err != nil || len(fs) != 3 || fs[1].corr != 9 || fs[1].module != "m" || string(fs[2].payload) != "p" {
		t.Fatalf("a good batch: %v %+v", err, fs)
	}
	if again, err := splitBatch(batchOf(req, pub), fs); err != nil || len(again) != 2 || again[0].module != "m" || again[1].module != "" || again[1].topic != "a.b" {
		t.Fatalf("a batch decoded into the frames of the last one: %v %+v", err, again)
	}
	bad := map[string][]byte{
		"header":                    append([]byte{frameVersion, opBatch, 1, 0}, batchOf(pub)[4:]...),
		"empty":                     batchOf(),
		"length past":               batchOf(pub)[:10],
		"trailing byte":             append(batchOf(pub), 0),
		"bad frame":                 batchOf(frame{op: opMessage, kind: uint32(bus.KindPublish), topic: "a.*"}),
		"bad frame after good ones": batchOf(pub, pub, frame{op: opMessage, kind: uint32(bus.KindPublish), topic: "a.b>"}),
		"direct send":               batchOf(frame{op: opMessage, kind: uint32(bus.KindDirect), to: 3}),
		"an ack":                    batchOf(frame{op: opAck, corr: 1}),
		"frame too long":            func() []byte { b := batchOf(pub); binary.LittleEndian.PutUint32(b[4:], 1<<30); return b }(),
	}
	for name, b := range bad {
		if _, err := splitBatch(b, nil); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// Publishes go to another node in batches, all of them and in order, and a request after
// them arrives after them (one sender's order holds across the outbox).
//
// Its nodes are lost after a minute of silence, not testLost: loss is not what it tests, and
// the 7 MiB message at its end holds up the announcements queued behind it while it crosses
// (0.8-1.6 s under the race detector on this 2-core VM alone, over 3 s beside other tests),
// so a node was lost and the message refused as coming from no up member.
func TestOutboxOrder(t *testing.T) {
	ha, hb := newFakeHost(), newFakeHost()
	node := func(name, join string, h *fakeHost) *Node {
		t.Helper()
		n, err := tryConfig(t, Config{Name: name, Listen: "127.0.0.1:0", Join: join, Host: h, Lost: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	a := node("a", "", ha)
	b := node("b", JoinURL(strings.TrimPrefix(a.Addr(), "nats://"), a.Token()), hb)
	waitUp(t, 2, a, b)
	const n = 3000
	sub, _ := hb.b.Attach(7, bus.InboxLimits{MaxMsgs: 2 * n, MaxBytes: 16 << 20})
	hb.b.Subscribe(7, "seq.>", bus.Reliable)
	ha.b.Attach(3, bus.InboxLimits{})
	ha.b.Attach(4, bus.InboxLimits{})
	testenv.Eventually(t, func() bool { return ha.b.Subscribers("seq.x") == 1 }, 10*time.Second, "b's interest on a")
	ctx := context.Background()
	from := func(i int) bus.PID { return bus.PID(3 + i/5%2) } // runs of five from each of two senders
	for i := range n {
		if err := ha.b.Publish(ctx, bus.Message{From: from(i), Topic: "seq.x", Payload: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := ha.b.Request(ctx, bus.Message{From: 3, Topic: "seq.req"}, 10*time.Second)
		done <- err
	}()
	for i := range n + 1 {
		m, err := sub.RecvTimeout(ctx, 10*time.Second)
		if err != nil {
			t.Fatalf("message %d: %v (batches sent %d)", i, err, a.sent.Load())
		}
		if i == n {
			if m.Kind != bus.KindRequest {
				t.Fatalf("after %d publishes: kind %v, want the request", n, m.Kind)
			}
			hb.b.Reply(bus.Message{From: 7, Corr: m.Corr, Payload: []byte("ok")})
			break
		}
		if m.Kind != bus.KindPublish || string(m.Payload) != fmt.Sprint(i) {
			t.Fatalf("message %d: kind %v payload %q", i, m.Kind, m.Payload)
		}
		if node, pid, ok := b.Remote(m.From); !ok || node != "a" || pid != uint32(from(i)) {
			t.Fatalf("message %d: from %v, which stands for %s %d (%v), want a %d", i, m.From, node, pid, ok, from(i))
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A message of many MiB (its region) after a small one: both arrive, in order (the large
	// one travels alone, not in a batch it would push past the connection's limit).
	h, _ := ha.b.RegionCreate(3, 7<<20)
	for i, m := range []bus.Message{{From: 3, Topic: "seq.small"}, {From: 3, Topic: "seq.big", Regions: []bus.Attachment{{Handle: h, Rights: bus.RightRead | bus.FlagTransfer}}}} {
		if err := ha.b.Publish(ctx, m); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	for _, want := range []string{"seq.small", "seq.big"} {
		if m, err := sub.RecvTimeout(ctx, 10*time.Second); err != nil || m.Topic != want {
			t.Fatalf("want %s: %v %q", want, err, m.Topic)
		}
	}
	if s := a.sent.Load(); s >= n {
		t.Logf("%d NATS messages for %d publishes: no batching happened this run", s, n)
	}
}

// A small batch queued while its sender streams (a batch went just before) lingers, and still
// goes with nothing else to push it; an empty or a large batch, or one long after the last,
// does not linger.
func TestOutboxLinger(t *testing.T) {
	ha, hb := newFakeHost(), newFakeHost()
	a := startNode(t, "a", "127.0.0.1:0", "", ha)
	b := startNode(t, "b", "127.0.0.1:0", JoinURL(strings.TrimPrefix(a.Addr(), "nats://"), a.Token()), hb)
	waitUp(t, 2, a, b)
	sub, _ := hb.b.Attach(7, bus.InboxLimits{})
	hb.b.Subscribe(7, "seq.>", bus.Reliable)
	ha.b.Attach(3, bus.InboxLimits{})
	testenv.Eventually(t, func() bool { return ha.b.Subscribers("seq.x") == 1 }, 10*time.Second, "b's interest on a")

	o := a.outboxFor("b")
	set := func(at time.Time, frames int) {
		o.sendMu.Lock()
		o.flushedAt = at
		o.sendMu.Unlock()
		o.mu.Lock()
		o.frames = frames
		o.mu.Unlock()
	}
	for _, c := range []struct {
		at     time.Time
		frames int
		want   bool
	}{
		{time.Now().Add(time.Minute), 0, false},            // nothing to send
		{time.Now().Add(time.Minute), 1, true},             // streaming, small
		{time.Now().Add(time.Minute), lingerFrames, false}, // big enough already
		{time.Now().Add(-time.Minute), 1, false},           // a lone publish
	} {
		set(c.at, c.frames)
		if got := o.linger(); got != c.want {
			t.Errorf("last batch %v ago, %d frames: linger %v, want %v", time.Since(c.at).Round(time.Second), c.frames, got, c.want)
		}
	}
	set(time.Now().Add(time.Minute), 0) // as if a batch had just gone: the next one lingers
	sent := a.sent.Load()
	if err := ha.b.Publish(context.Background(), bus.Message{From: 3, Topic: "seq.x", Payload: []byte("late")}); err != nil {
		t.Fatal(err)
	}
	m, err := sub.RecvTimeout(context.Background(), 10*time.Second)
	if err != nil || string(m.Payload) != "late" {
		t.Fatalf("the lingering publish: %v %q", err, m.Payload)
	}
	// counted after nc.Publish returns, which may be after b has it
	testenv.Eventually(t, func() bool { return a.sent.Load()-sent == 1 }, 10*time.Second, "one NATS message counted for the publish")
}
