package bus

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"
)

// BenchmarkSendRecv: one producer, one consumer goroutine, 64-byte messages, against a buffered
// Go channel of the same depth.
func BenchmarkSendRecv(b *testing.B) {
	payload := make([]byte, 64)
	b.Run("base=chan", func(b *testing.B) {
		ch := make(chan Message, 1024)
		done := make(chan struct{})
		go func() {
			for range ch {
			}
			close(done)
		}()
		b.ReportAllocs()
		for b.Loop() {
			ch <- Message{Payload: payload}
		}
		close(ch)
		<-done
	})
	b.Run("bus", func(b *testing.B) {
		bs := New(Config{})
		in, _ := bs.Attach(1, InboxLimits{MaxMsgs: 1024})
		bs.Attach(2, InboxLimits{})
		ctx := context.Background()
		done := make(chan struct{})
		go func() {
			for {
				if _, err := in.Recv(ctx); err != nil {
					close(done)
					return
				}
			}
		}()
		b.ReportAllocs()
		for b.Loop() {
			if err := bs.Send(ctx, Message{From: 2, To: 1, Payload: payload}); err != nil {
				b.Fatal(err)
			}
		}
		bs.Detach(1)
		<-done
	})
}

// BenchmarkPingPong: a blocking round trip between two goroutines locked to their OS threads
// (as module threads are), bus request/reply against two unbuffered Go channels.
func BenchmarkPingPong(b *testing.B) {
	b.Run("base=chan", func(b *testing.B) {
		req, rep := make(chan []byte), make(chan []byte)
		go func() {
			runtime.LockOSThread()
			for p := range req {
				rep <- p
			}
		}()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		lat := make([]time.Duration, 0, 1<<16)
		b.ReportAllocs()
		for b.Loop() {
			t := time.Now()
			req <- nil
			<-rep
			lat = append(lat, time.Since(t))
		}
		close(req)
		reportLatency(b, lat)
	})
	b.Run("bus", func(b *testing.B) {
		bs := New(Config{})
		srv, _ := bs.Attach(1, InboxLimits{})
		bs.Attach(2, InboxLimits{})
		bs.Subscribe(1, "ping", Reliable)
		ctx := context.Background()
		go func() {
			runtime.LockOSThread()
			for {
				m, err := srv.Recv(ctx)
				if err != nil {
					return
				}
				bs.Reply(Message{From: 1, Corr: m.Corr, Payload: m.Payload})
			}
		}()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		payload := make([]byte, 64)
		lat := make([]time.Duration, 0, 1<<16)
		b.ReportAllocs()
		for b.Loop() {
			t := time.Now()
			if _, err := bs.Request(ctx, Message{From: 2, Topic: "ping", Payload: payload}, time.Second); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t))
		}
		bs.Detach(1)
		reportLatency(b, lat)
	})
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-us")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-us")
}

// BenchmarkMatch: routing a topic among thousands of subscriptions, the trie (with its cache,
// and with the cache defeated) against testing every pattern in turn.
func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		var pats []string
		for i := range n {
			switch i % 4 {
			case 0:
				pats = append(pats, fmt.Sprintf("app%d.window.%d", i%97, i))
			case 1:
				pats = append(pats, fmt.Sprintf("app%d.*.%d", i%97, i))
			case 2:
				pats = append(pats, fmt.Sprintf("svc%d.>", i))
			default:
				pats = append(pats, fmt.Sprintf("*.input.%d", i))
			}
		}
		topics := make([]string, 8192)
		for i := range topics {
			topics[i] = fmt.Sprintf("app%d.window.%d", i%97, i%n)
		}
		b.Run(fmt.Sprintf("subs=%d/base=linear", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				hits := 0
				for _, p := range pats {
					if MatchPattern(p, topics[i%len(topics)]) {
						hits++
					}
				}
				i++
			}
		})
		s := newSublist()
		for i, p := range pats {
			s.insert(&subscription{id: uint32(i + 1), pattern: p}, 0)
		}
		b.Run(fmt.Sprintf("subs=%d/trie-cached", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.match(topics[7])
			}
		})
		b.Run(fmt.Sprintf("subs=%d/trie-uncached", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.clearCache()
				s.match(topics[i%len(topics)])
				i++
			}
		})
	}
}

// BenchmarkAttachDetach attaches and detaches one inbox beside n attached ones, against a
// mutex-guarded Go map insert and delete: what a process's start and end cost the bus. It
// must not grow with n (a copy-on-write map copied all n inboxes each time: 1000 processes
// started one after another copied half a million entries).
func BenchmarkAttachDetach(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("inboxes=%d/base=map", n), func(b *testing.B) {
			var mu sync.Mutex
			m := map[PID]*Inbox{}
			for i := range n {
				m[PID(i+1)] = &Inbox{}
			}
			in := &Inbox{}
			b.ReportAllocs()
			for b.Loop() {
				mu.Lock()
				m[PID(n+1)] = in
				mu.Unlock()
				mu.Lock()
				delete(m, PID(n+1))
				mu.Unlock()
			}
		})
		b.Run(fmt.Sprintf("inboxes=%d/bus", n), func(b *testing.B) {
			bs := New(Config{})
			for i := range n {
				if _, err := bs.Attach(PID(i+1), InboxLimits{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bs.Attach(PID(n+1), InboxLimits{}); err != nil {
					b.Fatal(err)
				}
				bs.Detach(PID(n + 1))
			}
		})
	}
}
