package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func attach(t *testing.T, b *Bus, pid PID, lim InboxLimits) *Inbox {
	t.Helper()
	in, err := b.Attach(pid, lim)
	if err != nil {
		t.Fatalf("attach %v: %v", pid, err)
	}
	return in
}

func TestSendRecv(t *testing.T) {
	b := New(Config{})
	a := attach(t, b, 1, InboxLimits{})
	attach(t, b, 2, InboxLimits{})
	ctx := context.Background()
	for i := range 3 {
		if err := b.Send(ctx, Message{From: 2, To: 1, Payload: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		m, err := a.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != KindDirect || m.From != 2 || m.To != 1 || m.Payload[0] != byte(i) || m.Sent == 0 {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	if _, ok := a.TryRecv(); ok {
		t.Fatal("TryRecv on an empty inbox returned a message")
	}
	st := a.Stats()
	if st.MsgsIn != 3 || st.MsgsOut != 3 || st.Depth != 0 || st.Bytes != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSendErrors(t *testing.T) {
	b := New(Config{MaxPayload: 100})
	attach(t, b, 1, InboxLimits{MaxMsgs: 1})
	ctx := context.Background()
	tests := []struct {
		name string
		m    Message
		want error
	}{
		{"unknown pid", Message{To: 9}, ErrNotFound},
		{"too big", Message{To: 1, Payload: make([]byte, 101)}, ErrTooBig},
		{"too many regions", Message{To: 1, Regions: make([]Attachment, 17)}, ErrTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := b.Send(ctx, tt.m); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := b.Attach(1, InboxLimits{}); !errors.Is(err, ErrExists) {
		t.Fatalf("attach twice: %v", err)
	}
}

func TestSendWaitsThenFull(t *testing.T) {
	b := New(Config{})
	in := attach(t, b, 1, InboxLimits{MaxMsgs: 2})
	ctx := context.Background()
	for range 2 {
		if err := b.Send(ctx, Message{To: 1}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := b.Send(short, Message{To: 1}); !errors.Is(err, ErrFull) {
		t.Fatalf("send to a full inbox: %v", err)
	}
	if time.Since(start) < 15*time.Millisecond {
		t.Fatal("send to a full inbox did not wait")
	}
	// A waiting sender gets in as soon as the consumer makes room.
	done := make(chan error, 1)
	go func() { done <- b.Send(ctx, Message{To: 1, Payload: []byte("late")}) }()
	if _, err := in.Recv(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("waiting sender: %v", err)
	}
	if st := in.Stats(); st.Depth != 2 {
		t.Fatalf("depth %d, want 2", st.Depth)
	}
}

func TestByteLimit(t *testing.T) {
	b := New(Config{})
	in := attach(t, b, 1, InboxLimits{MaxBytes: 1000})
	ctx := context.Background()
	// Alone, a message over MaxBytes is accepted; a second one is not.
	if err := b.Send(ctx, Message{To: 1, Payload: make([]byte, 2000)}); err != nil {
		t.Fatal(err)
	}
	poll, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Send(poll, Message{To: 1, Payload: make([]byte, 10)}); !errors.Is(err, ErrFull) {
		t.Fatalf("got %v, want ErrFull", err)
	}
	in.TryRecv()
	if err := b.Send(poll, Message{To: 1, Payload: make([]byte, 10)}); err != nil {
		t.Fatal(err)
	}
}

func TestRecvContextAndTimeout(t *testing.T) {
	b := New(Config{})
	in := attach(t, b, 1, InboxLimits{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := in.Recv(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv: %v", err)
	}
	if _, err := in.RecvTimeout(context.Background(), 0); !errors.Is(err, ErrTimeout) {
		t.Fatalf("poll: %v", err)
	}
	if _, err := in.RecvTimeout(context.Background(), 5*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("timeout: %v", err)
	}
	go b.Send(context.Background(), Message{To: 1, Payload: []byte("x")})
	if m, err := in.RecvTimeout(context.Background(), 10*time.Second); err != nil || string(m.Payload) != "x" {
		t.Fatalf("RecvTimeout: %v %q", err, m.Payload)
	}
}

func TestDetachUnblocks(t *testing.T) {
	b := New(Config{})
	in := attach(t, b, 1, InboxLimits{MaxMsgs: 1})
	errc := make(chan error, 1)
	go func() { _, err := in.Recv(context.Background()); errc <- err }()
	b.Detach(1)
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after Detach: %v", err)
	}
	b.Detach(1) // twice is harmless
	if err := b.Send(context.Background(), Message{To: 1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("send after detach: %v", err)
	}

	// A sender blocked on a full inbox is released by Detach with ErrNotFound (not ErrClosed,
	// which would tell the sender that it is the one being stopped).
	attach(t, b, 2, InboxLimits{MaxMsgs: 1})
	b.Send(context.Background(), Message{To: 2})
	go func() { errc <- b.Send(context.Background(), Message{To: 2}) }()
	waitFor(t, func() bool { in2, _ := b.Inbox(2); in2.mu.Lock(); defer in2.mu.Unlock(); return in2.room != nil })
	b.Detach(2)
	if err := <-errc; !errors.Is(err, ErrNotFound) || errors.Is(err, ErrClosed) {
		t.Fatalf("blocked sender after Detach: %v", err)
	}
}

func TestPostEvictsOldest(t *testing.T) {
	b := New(Config{})
	in := attach(t, b, 1, InboxLimits{MaxMsgs: 3})
	for i := range 10 {
		if err := b.Post(Message{Kind: KindEvent, To: 1, Payload: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	var got []byte
	for {
		m, ok := in.TryRecv()
		if !ok {
			break
		}
		got = append(got, m.Payload[0])
	}
	if fmt.Sprint(got) != "[7 8 9]" {
		t.Fatalf("kept %v, want the newest [7 8 9]", got)
	}
	if st := in.Stats(); st.Drops != 7 {
		t.Fatalf("drops %d, want 7", st.Drops)
	}
}

// TestHammer: many producers, one consumer; every message arrives once, in order per sender.
func TestHammer(t *testing.T) {
	const producers, each = 8, 2000
	b := New(Config{})
	in := attach(t, b, 1, InboxLimits{MaxMsgs: 64})
	var wg sync.WaitGroup
	for p := range producers {
		pid := PID(100 + p)
		attach(t, b, pid, InboxLimits{})
		wg.Go(func() {
			for i := range each {
				pl := []byte{byte(i), byte(i >> 8)}
				if err := b.Send(context.Background(), Message{From: pid, To: 1, Payload: pl}); err != nil {
					t.Errorf("send: %v", err)
					return
				}
			}
		})
	}
	next := map[PID]int{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for range producers * each {
		m, err := in.Recv(ctx)
		if err != nil {
			t.Fatalf("recv after %v: %v", next, err)
		}
		seq := int(m.Payload[0]) | int(m.Payload[1])<<8
		if seq != next[m.From] {
			t.Fatalf("from %v: got %d, want %d", m.From, seq, next[m.From])
		}
		next[m.From]++
	}
	wg.Wait()
	if st := in.Stats(); st.MsgsIn != producers*each || st.Depth != 0 || st.Drops != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTrySend(t *testing.T) {
	b := New(Config{})
	in := attach(t, b, 1, InboxLimits{MaxMsgs: 1})
	if err := b.TrySend(Message{To: 1}); err != nil {
		t.Fatal(err)
	}
	if err := b.TrySend(Message{To: 1}); err != ErrFull {
		t.Fatalf("TrySend to a full inbox: %v, want the bare ErrFull", err)
	}
	if err := b.TrySend(Message{To: 7}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown pid: %v", err)
	}
	if m, ok := in.TryRecv(); !ok || m.Kind != KindDirect {
		t.Fatalf("%+v %v", m, ok)
	}
}

func TestPostQuitNeverLost(t *testing.T) {
	b := New(Config{})
	in := attach(t, b, 1, InboxLimits{MaxMsgs: 2})
	b.Send(context.Background(), Message{To: 1})
	b.Send(context.Background(), Message{To: 1})
	if err := b.Post(Message{Kind: KindQuit, To: 1}); err != nil {
		t.Fatal(err)
	}
	// Events posted after it evict each other, never the quit request.
	for range 5 {
		b.Post(Message{Kind: KindEvent, To: 1})
	}
	var kinds []Kind
	for m, ok := in.TryRecv(); ok; m, ok = in.TryRecv() {
		kinds = append(kinds, m.Kind)
	}
	if fmt.Sprint(kinds) != "[direct direct quit]" {
		t.Fatalf("queued %v", kinds)
	}
}

// A sender waiting on a full inbox gets in as soon as the receiver takes one message: room
// for one is room. (Waking it only once the inbox drained to 3/4 deadlocked a receiver that
// takes one message and then waits on that sender, and turned its timeout into ErrFull while
// there was room.)
func TestBlockedSenderGetsFreedSlot(t *testing.T) {
	b := New(Config{})
	in := attach(t, b, 1, InboxLimits{MaxMsgs: 16})
	for range 16 {
		if err := b.Send(context.Background(), Message{To: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// No deadline: the sender waits for room for as long as it takes, so only a wake-up that
	// never comes keeps it waiting.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- b.Send(ctx, Message{To: 1, Payload: []byte("late")}) }()
	waitFor(t, func() bool { in.mu.Lock(); defer in.mu.Unlock(); return in.room != nil })
	if _, err := in.Recv(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("the blocked sender after one message was taken: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the blocked sender was not woken when the receiver took a message (15 of 16 slots full)")
	}
}
