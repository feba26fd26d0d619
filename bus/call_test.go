package bus

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// serveOnce answers the next message in in with reply (nil: no answer).
func serveOnce(t *testing.T, b *Bus, in *Inbox, reply func(m Message) *Message) <-chan Message {
	t.Helper()
	got := make(chan Message, 1)
	go func() {
		m, err := in.Recv(context.Background())
		if err != nil {
			close(got)
			return
		}
		got <- m
		if r := reply(m); r != nil {
			r.From, r.Corr = in.PID(), m.Corr
			b.Reply(*r)
		}
	}()
	return got
}

func TestCall(t *testing.T) {
	b := New(Config{})
	srv, _ := b.Attach(1, InboxLimits{})
	b.Attach(2, InboxLimits{})

	t.Run("reply", func(t *testing.T) {
		got := serveOnce(t, b, srv, func(m Message) *Message {
			return &Message{Payload: append([]byte("re:"), m.Payload...)}
		})
		rep, err := b.Call(context.Background(), Message{From: 2, To: 1, Topic: "today", Payload: []byte("x")}, time.Second)
		if err != nil || string(rep.Payload) != "re:x" || rep.Kind != KindReply || rep.Flags != 0 {
			t.Fatalf("Call: %+v, %v", rep, err)
		}
		if m := <-got; m.Kind != KindCall || m.Topic != "today" || m.From != 2 {
			t.Fatalf("the receiver got %+v", m)
		}
	})
	t.Run("failed", func(t *testing.T) {
		serveOnce(t, b, srv, func(Message) *Message { return &Message{Flags: FlagFailed, Payload: []byte("no")} })
		rep, err := b.Call(context.Background(), Message{From: 0, To: 1}, time.Second)
		if err != nil || rep.Flags != FlagFailed || string(rep.Payload) != "no" {
			t.Fatalf("Call from the host: %+v, %v", rep, err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		got := serveOnce(t, b, srv, func(Message) *Message { return nil })
		_, err := b.Call(context.Background(), Message{From: 2, To: 1}, 20*time.Millisecond)
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("Call: %v, want ErrTimeout", err)
		}
		m := <-got
		if err := b.Reply(Message{From: 1, Corr: m.Corr}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a late reply: %v, want ErrNotFound", err)
		}
	})
	t.Run("no such process", func(t *testing.T) {
		if _, err := b.Call(context.Background(), Message{From: 2, To: 99}, time.Second); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Call: %v", err)
		}
	})
	t.Run("too big", func(t *testing.T) {
		_, err := b.Call(context.Background(), Message{From: 2, To: 1, Payload: make([]byte, 2<<20)}, time.Second)
		if !errors.Is(err, ErrTooBig) {
			t.Fatalf("Call: %v", err)
		}
	})
}

// TestCallEnded: a receiver that ends with calls queued or in hand ends every one of them at
// once with ErrEnded, not at their timeouts.
func TestCallEnded(t *testing.T) {
	b := New(Config{})
	srv, _ := b.Attach(1, InboxLimits{})
	b.Attach(2, InboxLimits{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := b.Call(context.Background(), Message{From: 2, To: 1}, time.Minute)
			errs <- err
		}()
	}
	testenv.Eventually(t, func() bool { return srv.Stats().Depth == 4 }, 10*time.Second, "4 calls queued")
	t0 := time.Now()
	b.Detach(1)
	for range 4 {
		if err := <-errs; !errors.Is(err, ErrEnded) {
			t.Fatalf("Call: %v, want ErrEnded", err)
		}
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Fatalf("the callers waited %v", d)
	}
}

// TestCallFull: calls never wait for room; a full inbox refuses the call at once and keeps
// no pending entry for it.
func TestCallFull(t *testing.T) {
	b := New(Config{})
	b.Attach(1, InboxLimits{MaxMsgs: 2})
	b.Attach(2, InboxLimits{})
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.Call(ctx, Message{From: 2, To: 1}, -1)
		}()
	}
	in, _ := b.Inbox(1)
	testenv.Eventually(t, func() bool { return in.Stats().Depth == 2 }, 10*time.Second, "2 calls queued")
	t0 := time.Now()
	_, err := b.Call(context.Background(), Message{From: 2, To: 1}, time.Minute)
	if !errors.Is(err, ErrFull) || time.Since(t0) > 5*time.Second {
		t.Fatalf("Call into a full inbox: %v after %v", err, time.Since(t0))
	}
	cancel()
	wg.Wait()
	b.reqs.mu.Lock()
	n := len(b.reqs.m)
	b.reqs.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d pending entries left", n)
	}
}
