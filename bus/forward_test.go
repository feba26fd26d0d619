package bus

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Forward hands a message a relay received to another process as it was published: topic,
// sender and kind kept, regions moved out of the relay's table.
func TestForward(t *testing.T) {
	b := New(Config{})
	attach(t, b, 1, InboxLimits{})                  // publisher
	relay := attach(t, b, 2, InboxLimits{})         // the instance's topic trigger
	dst := attach(t, b, 3, InboxLimits{MaxMsgs: 2}) // the triggered process
	if _, err := b.Subscribe(2, "sensor.>", Reliable); err != nil {
		t.Fatal(err)
	}
	h, err := b.RegionCreate(1, 64)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.Publish(ctx, Message{From: 1, Topic: "sensor.t", Payload: []byte("21C"), Regions: []Attachment{{Handle: h, Rights: RightRead}}}); err != nil {
		t.Fatal(err)
	}
	m, ok := relay.TryRecv()
	if !ok || len(m.Regions) != 1 {
		t.Fatalf("relay got %+v", m)
	}
	if err := b.Forward(ctx, 2, 3, m, false); err != nil {
		t.Fatal(err)
	}
	got, ok := dst.TryRecv()
	if !ok || got.Kind != KindPublish || got.Topic != "sensor.t" || got.From != 1 || string(got.Payload) != "21C" || got.Sub != 0 || len(got.Regions) != 1 {
		t.Fatalf("forwarded %+v", got)
	}
	if _, err := b.RegionSize(3, got.Regions[0].Handle); err != nil {
		t.Fatalf("the receiver's handle: %v", err)
	}
	if _, err := b.RegionSize(2, m.Regions[0].Handle); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the relay still holds the region: %v", err)
	}

	// Full: reliable waits until ctx ends, then ErrFull; lossy evicts the oldest forward.
	for i := range 2 {
		if err := b.Forward(ctx, 2, 3, Message{Kind: KindPublish, From: 1, Topic: "sensor.t", Payload: []byte{byte(i)}}, false); err != nil {
			t.Fatal(err)
		}
	}
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := b.Forward(tctx, 2, 3, Message{Kind: KindPublish, Topic: "sensor.t"}, false); !errors.Is(err, ErrFull) {
		t.Fatalf("reliable forward to a full inbox: %v", err)
	}
	lossy := attach(t, b, 4, InboxLimits{MaxMsgs: 2})
	for i := range 3 {
		if err := b.Forward(ctx, 2, 4, Message{Kind: KindPublish, Topic: "sensor.t", Payload: []byte{byte(i)}}, true); err != nil {
			t.Fatal(err)
		}
	}
	if first, _ := lossy.TryRecv(); first.Payload[0] != 1 || lossy.Stats().Drops != 1 {
		t.Fatalf("lossy forward: first %v, drops %d (want the oldest evicted)", first.Payload, lossy.Stats().Drops)
	}
	if err := b.Forward(ctx, 2, 99, Message{}, false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("forward to nobody: %v", err)
	}
}
