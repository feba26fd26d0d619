package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
)

// A direct send to a process on another node whose inbox is full waits for room as long as
// its sender does, not longer: the sender's timeout reaches the receiving node, which gives
// up before it, so a send its sender was told timed out is not delivered later when room
// appears (it waited 5 s whatever the sender's timeout).
func TestRemoteSendWaitsNoLongerThanItsSender(t *testing.T) {
	ha, hb := newFakeHost(), newFakeHost()
	a := startNode(t, "a", "127.0.0.1:0", "", ha)
	b := startNode(t, "b", "", JoinURL(strings.TrimPrefix(a.Addr(), "nats://"), a.Token()), hb)
	waitUp(t, 2, a, b)
	ctx := context.Background()
	sub, _ := ha.b.Attach(7, bus.InboxLimits{})
	ha.b.Subscribe(7, "hello.>", bus.Reliable)
	full, _ := hb.b.Attach(3, bus.InboxLimits{MaxMsgs: 1})
	testenv.Eventually(t, func() bool { return hb.b.Subscribers("hello.x") == 1 }, 10*time.Second, "a's interest on b")
	if err := hb.b.Publish(ctx, bus.Message{From: 3, Topic: "hello.x"}); err != nil {
		t.Fatal(err)
	}
	m, err := sub.RecvTimeout(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	to := m.From // b's pid 3, as a sees it
	if err := ha.b.Send(ctx, bus.Message{From: 7, To: to, Kind: 40, Payload: []byte("first")}); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = ha.b.Send(sctx, bus.Message{From: 7, To: to, Kind: 40, Payload: []byte("second")})
	cancel()
	if !errors.Is(err, bus.ErrFull) && !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("a send to a full inbox on another node, 300 ms: %v, want full or a timeout", err)
	}
	// Room appears well after the sender's 300 ms (the receiving node gave up at 225 ms)
	// and well before the old 5 s: the send it was told timed out never arrives.
	time.Sleep(2 * time.Second)
	if d, err := full.RecvTimeout(ctx, time.Second); err != nil || string(d.Payload) != "first" {
		t.Fatalf("first: %v %q", err, d.Payload)
	}
	if d, err := full.RecvTimeout(ctx, time.Second); err == nil {
		t.Fatalf("a send its sender was told timed out arrived: %q", d.Payload)
	}
}
