package bus

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestOverlappingSubscriptions: a process subscribed with two patterns that both match gets
// one copy per subscription, each naming the subscription it came for (Message.Sub).
func TestOverlappingSubscriptions(t *testing.T) {
	b := New(Config{})
	a := attach(t, b, 1, InboxLimits{})
	attach(t, b, 2, InboxLimits{})
	s1, err1 := b.Subscribe(1, "ui.>", Reliable)
	s2, err2 := b.Subscribe(1, "ui.click", Reliable)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if err := b.Publish(context.Background(), Message{From: 2, Topic: "ui.click"}); err != nil {
		t.Fatal(err)
	}
	got := map[uint32]bool{}
	for range 2 {
		m, ok := a.TryRecv()
		if !ok {
			t.Fatal("one copy per subscription expected")
		}
		got[m.Sub] = true
	}
	if !got[s1] || !got[s2] {
		t.Fatalf("copies named subscriptions %v, want %d and %d", got, s1, s2)
	}
	if err := b.Send(context.Background(), Message{From: 2, To: 1, Kind: KindDirect}); err != nil {
		t.Fatal(err)
	}
	if m, _ := a.TryRecv(); m.Sub != 0 {
		t.Fatalf("a direct message names subscription %d", m.Sub)
	}
}

func TestPublishSubscribe(t *testing.T) {
	b := New(Config{})
	a := attach(t, b, 1, InboxLimits{})
	c := attach(t, b, 2, InboxLimits{})
	attach(t, b, 3, InboxLimits{})
	ctx := context.Background()
	sa, err := b.Subscribe(1, "clock.>", Reliable)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Subscribe(2, "clock.*", Lossy); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, Message{From: 3, Topic: "clock.tick", Payload: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []*Inbox{a, c} {
		m, ok := in.TryRecv()
		if !ok || m.Kind != KindPublish || m.Topic != "clock.tick" || m.From != 3 || m.To != in.PID() {
			t.Fatalf("%v got %+v %v", in.PID(), m, ok)
		}
	}
	// Only a matches a deeper topic.
	if err := b.Publish(ctx, Message{From: 3, Topic: "clock.tick.ms"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.TryRecv(); ok {
		t.Fatal("clock.* matched clock.tick.ms")
	}
	if _, ok := a.TryRecv(); !ok {
		t.Fatal("clock.> missed clock.tick.ms")
	}
	if err := b.Unsubscribe(2, sa); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unsubscribe someone else's subscription: %v", err)
	}
	if err := b.Unsubscribe(1, sa); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, Message{From: 3, Topic: "nobody.here"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("publish with no subscriber: %v", err)
	}
	if b.Stats().Unrouted != 1 {
		t.Fatalf("unrouted %d", b.Stats().Unrouted)
	}
	for _, bad := range []string{"a.*", "a..b", "", "a.>"} {
		if err := b.Publish(ctx, Message{From: 3, Topic: bad}); !errors.Is(err, ErrBadTopic) {
			t.Errorf("publish on %q: %v", bad, err)
		}
	}
	if _, err := b.Subscribe(1, "a..b", Reliable); !errors.Is(err, ErrBadTopic) {
		t.Errorf("subscribe a..b: %v", err)
	}
	if _, err := b.Subscribe(1, "a", 7); !errors.Is(err, ErrInvalid) {
		t.Errorf("subscribe mode 7: %v", err)
	}
	b.Detach(2)
	if n := b.Subscribers("clock.tick"); n != 0 {
		t.Fatalf("%d subscribers left after detach", n)
	}
}

// TestLossySlowConsumer: a lossy subscriber that never reads neither stalls the publisher nor
// a reliable subscriber on the same topic; its newest messages are kept.
func TestLossySlowConsumer(t *testing.T) {
	b := New(Config{SendTimeout: time.Hour})
	slow := attach(t, b, 1, InboxLimits{MaxMsgs: 4})
	fast := attach(t, b, 2, InboxLimits{})
	attach(t, b, 3, InboxLimits{})
	b.Subscribe(1, "frames", Lossy)
	b.Subscribe(2, "frames", Reliable)
	start := time.Now()
	for i := range 100 {
		if err := b.Publish(context.Background(), Message{From: 3, Topic: "frames", Payload: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
		if _, ok := fast.TryRecv(); !ok {
			t.Fatal("reliable subscriber missed a frame")
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("publishing took %v", d)
	}
	var got []byte
	for m, ok := slow.TryRecv(); ok; m, ok = slow.TryRecv() {
		got = append(got, m.Payload[0])
	}
	if fmt.Sprint(got) != "[96 97 98 99]" || slow.Stats().Drops != 96 {
		t.Fatalf("slow kept %v, drops %d", got, slow.Stats().Drops)
	}
}

// TestLossyKeepsReliable: evictions take lossy messages only.
func TestLossyKeepsReliable(t *testing.T) {
	b := New(Config{})
	in := attach(t, b, 1, InboxLimits{MaxMsgs: 2})
	attach(t, b, 2, InboxLimits{})
	b.Subscribe(1, "noise", Lossy)
	ctx := context.Background()
	b.Send(ctx, Message{From: 2, To: 1, Payload: []byte("keep")})
	b.Send(ctx, Message{From: 2, To: 1, Payload: []byte("keep2")})
	if err := b.Publish(ctx, Message{From: 2, Topic: "noise"}); err != nil {
		t.Fatalf("lossy publish into a full inbox: %v", err)
	}
	for _, want := range []string{"keep", "keep2"} {
		m, _ := in.TryRecv()
		if string(m.Payload) != want {
			t.Fatalf("got %q, want %q", m.Payload, want)
		}
	}
	if in.Stats().Drops != 1 {
		t.Fatalf("drops %d", in.Stats().Drops)
	}
}

func TestReliablePublishTimesOut(t *testing.T) {
	b := New(Config{SendTimeout: 20 * time.Millisecond})
	attach(t, b, 1, InboxLimits{MaxMsgs: 1})
	ok := attach(t, b, 2, InboxLimits{})
	attach(t, b, 3, InboxLimits{})
	b.Subscribe(1, "t", Reliable)
	b.Subscribe(2, "t", Reliable)
	ctx := context.Background()
	if err := b.Publish(ctx, Message{From: 3, Topic: "t"}); err != nil {
		t.Fatal(err)
	}
	err := b.Publish(ctx, Message{From: 3, Topic: "t"})
	if !errors.Is(err, ErrFull) {
		t.Fatalf("publish to a full reliable subscriber: %v", err)
	}
	if ok.Stats().MsgsIn != 2 {
		t.Fatalf("the other subscriber got %d messages, want 2", ok.Stats().MsgsIn)
	}
}

func TestCheckHook(t *testing.T) {
	b := New(Config{Check: func(op Op, pid PID, object string) error {
		if pid == 2 && (op == OpPublish || op == OpSubscribe || op == OpSend) {
			return fmt.Errorf("no grant for %s %s", op, object)
		}
		return nil
	}})
	attach(t, b, 1, InboxLimits{})
	in2 := attach(t, b, 2, InboxLimits{})
	b.Subscribe(1, "x", Reliable)
	ctx := context.Background()
	if err := b.Publish(ctx, Message{From: 2, Topic: "x"}); !errors.Is(err, ErrDenied) {
		t.Fatalf("publish: %v", err)
	}
	if _, err := b.Subscribe(2, "x", Reliable); !errors.Is(err, ErrDenied) {
		t.Fatalf("subscribe: %v", err)
	}
	if err := b.Send(ctx, Message{From: 2, To: 1}); !errors.Is(err, ErrDenied) {
		t.Fatalf("send: %v", err)
	}
	if err := b.Publish(ctx, Message{From: 1, Topic: "x"}); err != nil {
		t.Fatal(err)
	}
	if b.Stats().Denied != 3 || in2.Stats().Denied != 3 {
		t.Fatalf("denied: bus %d, inbox %d", b.Stats().Denied, in2.Stats().Denied)
	}
}

func TestRequestReply(t *testing.T) {
	b := New(Config{})
	srv := attach(t, b, 1, InboxLimits{})
	attach(t, b, 2, InboxLimits{})
	other := attach(t, b, 3, InboxLimits{})
	b.Subscribe(1, "echo", Reliable)
	ctx := context.Background()
	go func() {
		for {
			m, err := srv.Recv(ctx)
			if err != nil {
				return
			}
			// A forged reply from someone the request did not go to is refused.
			if err := b.Reply(Message{From: 3, Corr: m.Corr}); !errors.Is(err, ErrNotFound) {
				t.Errorf("forged reply: %v", err)
			}
			if err := b.Reply(Message{From: 1, Corr: m.Corr, Payload: append([]byte("re:"), m.Payload...)}); err != nil {
				t.Errorf("reply: %v", err)
			}
			if err := b.Reply(Message{From: 1, Corr: m.Corr}); !errors.Is(err, ErrNotFound) {
				t.Errorf("second reply: %v", err)
			}
		}
	}()
	for i := range 50 {
		r, err := b.Request(ctx, Message{From: 2, Topic: "echo", Payload: []byte(fmt.Sprint(i))}, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind != KindReply || r.From != 1 || r.To != 2 || string(r.Payload) != "re:"+fmt.Sprint(i) {
			t.Fatalf("reply %+v", r)
		}
	}
	if _, ok := other.TryRecv(); ok {
		t.Fatal("a reply leaked to another process")
	}
	if _, err := b.Request(ctx, Message{From: 2, Topic: "nobody"}, time.Second); !errors.Is(err, ErrNotFound) {
		t.Fatalf("request with no subscriber: %v", err)
	}
	b.Subscribe(3, "silent", Reliable)
	start := time.Now()
	if _, err := b.Request(ctx, Message{From: 2, Topic: "silent"}, 20*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("request to a silent subscriber: %v", err)
	}
	if time.Since(start) < 15*time.Millisecond {
		t.Fatal("request timed out early")
	}
	m, _ := other.TryRecv()
	if err := b.Reply(Message{From: 3, Corr: m.Corr}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("late reply: %v", err)
	}
	b.Detach(1)
}

func TestRequestUnblockedByDetach(t *testing.T) {
	b := New(Config{})
	attach(t, b, 1, InboxLimits{})
	attach(t, b, 2, InboxLimits{})
	b.Subscribe(1, "svc", Reliable)
	errc := make(chan error, 1)
	go func() {
		_, err := b.Request(context.Background(), Message{From: 2, Topic: "svc"}, -1)
		errc <- err
	}()
	in1, _ := b.Inbox(1)
	waitFor(t, func() bool { return in1.Stats().Depth == 1 })
	b.Detach(2)
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("request after the requester detached: %v", err)
	}
}

func TestLossyTopic(t *testing.T) {
	b := New(Config{LossyTopics: []string{"frames.>"}})
	attach(t, b, 1, InboxLimits{})
	in := attach(t, b, 2, InboxLimits{MaxMsgs: 2})
	ctx := context.Background()
	// Nobody listens: dropped and counted, not an error; a transferred region goes too.
	h, _ := b.RegionCreate(1, 64)
	if err := b.Publish(ctx, Message{From: 1, Topic: "frames.cam", Regions: []Attachment{{Handle: h, Rights: RightRead | FlagTransfer}}}); err != nil {
		t.Fatalf("publish on an unheard lossy topic: %v", err)
	}
	if st := b.Stats(); st.Dropped != 1 || st.Unrouted != 0 || st.Regions != 0 {
		t.Fatalf("stats %+v", st)
	}
	// A subscription that asked for reliable is lossy on a lossy topic: the publisher never waits.
	b.Subscribe(2, "frames.*", Reliable)
	for i := range 5 {
		if err := b.Publish(ctx, Message{From: 1, Topic: "frames.cam", Payload: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if st := in.Stats(); st.Depth != 2 || st.Drops != 3 {
		t.Fatalf("inbox %+v", st)
	}
	if b.TopicMode("frames.cam") != Lossy || b.TopicMode("other") != Reliable {
		t.Fatal("TopicMode")
	}
	if err := b.SetTopicMode("frames.>", Reliable); err != nil {
		t.Fatal(err)
	}
	if b.TopicMode("frames.cam") != Reliable {
		t.Fatal("SetTopicMode(Reliable) did not undo the lossy declaration")
	}
	if err := b.SetTopicMode("a..b", Lossy); !errors.Is(err, ErrBadTopic) {
		t.Fatalf("bad pattern: %v", err)
	}
}
