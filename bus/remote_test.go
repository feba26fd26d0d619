package bus

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// sinkLog records what a remote endpoint was handed, with the bytes of its regions.
type sinkLog struct {
	mu   sync.Mutex
	msgs []Message
	data [][]byte
}

func (l *sinkLog) sink(b *Bus, pid PID) Sink {
	return func(ctx context.Context, m Message) error {
		var data []byte
		for _, a := range m.Regions {
			r, _, err := b.Region(pid, a.Handle)
			if err != nil {
				return err
			}
			data = append(data, r.Bytes()...)
			b.RegionRelease(pid, a.Handle)
		}
		l.mu.Lock()
		l.msgs = append(l.msgs, m)
		l.data = append(l.data, data)
		l.mu.Unlock()
		return nil
	}
}

func (l *sinkLog) got() []Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.msgs)
}

// A node proxy gets one copy of a publish however many of its patterns match, a local
// subscriber gets its own, and PublishLocal never goes back to a remote endpoint.
func TestRemotePublish(t *testing.T) {
	b := New(Config{})
	attach(t, b, 1, InboxLimits{})
	local := attach(t, b, 2, InboxLimits{})
	var log sinkLog
	if _, err := b.AttachRemote(100, InboxLimits{}, log.sink(b, 100)); err != nil {
		t.Fatal(err)
	}
	if !b.Remote(100) || b.Remote(2) {
		t.Fatal("Remote reports the wrong endpoints")
	}
	for _, p := range []string{"a.>", "a.b"} {
		if _, err := b.Subscribe(100, p, Reliable); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.Patterns(); len(got) != 0 {
		t.Fatalf("remote subscriptions counted as local interest: %v", got)
	}
	ctx := context.Background()
	h, _ := b.RegionCreate(1, 4)
	b.RegionWrite(1, h, 0, []byte("abcd"))
	if err := b.Publish(ctx, Message{From: 1, Topic: "a.b", Payload: []byte("x"), Regions: []Attachment{{Handle: h, Rights: RightRead}}}); err != nil {
		t.Fatal(err)
	}
	if got := log.got(); len(got) != 1 || got[0].Topic != "a.b" || got[0].From != 1 || string(log.data[0]) != "abcd" {
		t.Fatalf("node proxy got %+v", got)
	}
	if _, err := b.Subscribe(2, "a.*", Reliable); err != nil {
		t.Fatal(err)
	}
	if err := b.PublishLocal(ctx, Message{From: 100, Topic: "a.c"}); err != nil {
		t.Fatal(err)
	}
	if len(log.got()) != 1 {
		t.Fatal("PublishLocal went back to a remote endpoint")
	}
	if m, ok := local.TryRecv(); !ok || m.From != 100 || m.Topic != "a.c" {
		t.Fatalf("local subscriber got %+v, %v", m, ok)
	}
	if err := b.PublishLocal(ctx, Message{From: 100, Topic: "z"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("PublishLocal with only remote interest: %v", err)
	}
}

// A request goes to a local subscriber when there is one, else to the node proxy, whose Reply
// or Fail ends it; a direct send to a process proxy goes to its sink.
func TestRemoteRequestAndSend(t *testing.T) {
	b := New(Config{})
	attach(t, b, 1, InboxLimits{})
	var log sinkLog
	b.AttachRemote(100, InboxLimits{}, log.sink(b, 100))
	b.Subscribe(100, "svc.>", Reliable)
	ctx := context.Background()
	done := make(chan error, 1)
	var reply Message
	go func() {
		var err error
		reply, err = b.Request(ctx, Message{From: 1, Topic: "svc.a", Payload: []byte("q")}, 5*time.Second)
		done <- err
	}()
	var req Message
	waitFor(t, func() bool {
		g := log.got()
		if len(g) == 1 {
			req = g[0]
		}
		return len(g) == 1
	})
	if req.Kind != KindRequest || req.Corr == 0 {
		t.Fatalf("sink got %+v", req)
	}
	if err := b.Reply(Message{From: 100, Corr: req.Corr, Payload: []byte("r")}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil || string(reply.Payload) != "r" {
		t.Fatalf("request: %v %+v", err, reply)
	}
	go func() {
		_, err := b.Request(ctx, Message{From: 1, Topic: "svc.a"}, 5*time.Second)
		done <- err
	}()
	waitFor(t, func() bool {
		g := log.got()
		if len(g) == 2 {
			req = g[1]
		}
		return len(g) == 2
	})
	if err := b.Fail(100, req.Corr, ErrDenied); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrDenied) {
		t.Fatalf("failed request: %v", err)
	}

	// Local first.
	srv := attach(t, b, 2, InboxLimits{})
	b.Subscribe(2, "svc.a", Reliable)
	go func() {
		m, _ := srv.Recv(ctx)
		b.Reply(Message{From: 2, Corr: m.Corr, Payload: []byte("local")})
	}()
	r, err := b.Request(ctx, Message{From: 1, Topic: "svc.a"}, 5*time.Second)
	if err != nil || string(r.Payload) != "local" || len(log.got()) != 2 {
		t.Fatalf("local first: %v %q, sink saw %d", err, r.Payload, len(log.got()))
	}
	if !slices.Equal(b.Patterns(), []string{"svc.a"}) {
		t.Fatalf("patterns %v", b.Patterns())
	}
	select {
	case <-b.InterestChanged():
	default:
		t.Fatal("InterestChanged not signalled")
	}

	// A process proxy.
	var plog sinkLog
	b.AttachRemote(200, InboxLimits{}, plog.sink(b, 200))
	if err := b.Send(ctx, Message{From: 1, To: 200, Kind: 40, Payload: []byte("hi")}); err != nil {
		t.Fatal(err)
	}
	if g := plog.got(); len(g) != 1 || g[0].Kind != 40 || g[0].To != 200 {
		t.Fatalf("process proxy got %+v", g)
	}
	// Detaching the node proxy fails the requests only it could answer.
	b.Unsubscribe(2, 0)
	b.Detach(2)
	go func() {
		_, err := b.Request(ctx, Message{From: 1, Topic: "svc.b"}, 5*time.Second)
		done <- err
	}()
	waitFor(t, func() bool { return len(log.got()) == 3 })
	b.Detach(100)
	if err := <-done; !errors.Is(err, ErrNotFound) {
		t.Fatalf("request to a detached node: %v", err)
	}
}

// TrySend never waits on the network: to a remote endpoint it hands nothing to the sink and
// says so (ErrRemote); SendTimeout then sends.
func TestTrySendRemote(t *testing.T) {
	b := New(Config{})
	attach(t, b, 1, InboxLimits{})
	var calls int
	if _, err := b.AttachRemote(100, InboxLimits{}, func(ctx context.Context, m Message) error { calls++; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := b.TrySend(Message{From: 1, To: 100, Payload: []byte("x")}); err != ErrRemote || calls != 0 {
		t.Fatalf("TrySend to a remote endpoint: %v, the sink called %d times; want ErrRemote and none", err, calls)
	}
	if err := b.SendTimeout(context.Background(), Message{From: 1, To: 100, Payload: []byte("x")}, 0); err != nil || calls != 1 {
		t.Fatalf("SendTimeout to a remote endpoint: %v, the sink called %d times", err, calls)
	}
}

// PublishWaiting calls its hook only when the publish is about to wait for room, once.
func TestPublishWaiting(t *testing.T) {
	b := New(Config{SendTimeout: 20 * time.Millisecond})
	attach(t, b, 1, InboxLimits{})
	attach(t, b, 2, InboxLimits{MaxMsgs: 1})
	if _, err := b.Subscribe(2, "t.x", Reliable); err != nil {
		t.Fatal(err)
	}
	calls := 0
	hook := func() { calls++ }
	if err := b.PublishWaiting(context.Background(), Message{From: 1, Topic: "t.x"}, hook); err != nil || calls != 0 {
		t.Fatalf("a publish with room: %v, hook called %d times", err, calls)
	}
	if err := b.PublishWaiting(context.Background(), Message{From: 1, Topic: "t.x"}, hook); !errors.Is(err, ErrFull) || calls != 1 {
		t.Fatalf("a publish to a full inbox: %v, hook called %d times; want ErrFull after one call", err, calls)
	}
}
