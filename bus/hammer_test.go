package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHammerPubSub: publishers, subscribers that come and go, region grants and a detaching
// process, all at once. Under -race this checks the locking; afterwards every region must be
// freed and no subscription left behind.
func TestHammerPubSub(t *testing.T) {
	b := New(Config{SendTimeout: 50 * time.Millisecond})
	const pubs, subs, rounds = 4, 4, 300
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var received atomic.Int64

	for s := range subs {
		pid := PID(100 + s)
		in := attach(t, b, pid, InboxLimits{MaxMsgs: 16})
		mode := Reliable
		if s%2 == 1 {
			mode = Lossy
		}
		wg.Go(func() {
			id, err := b.Subscribe(pid, "h.>", mode)
			if err != nil {
				if pid != 100 { // 100 may already be detached when this goroutine starts
					t.Errorf("subscribe: %v", err)
				}
				return
			}
			for i := 0; ; i++ {
				m, err := in.RecvTimeout(ctx, 10*time.Millisecond)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err == nil {
					received.Add(1)
					for _, a := range m.Regions {
						buf := make([]byte, 8)
						if err := b.RegionRead(pid, a.Handle, 0, buf); err != nil {
							t.Errorf("read granted region: %v", err)
						}
						b.RegionRelease(pid, a.Handle)
					}
				}
				select {
				case <-stop:
					return
				default:
				}
				if i%50 == 49 { // resubscribe now and then
					b.Unsubscribe(pid, id)
					if id, err = b.Subscribe(pid, fmt.Sprintf("h.%d.*", i%3), mode); err != nil {
						return
					}
				}
			}
		})
	}
	var pwg sync.WaitGroup
	for p := range pubs {
		pid := PID(200 + p)
		attach(t, b, pid, InboxLimits{})
		pwg.Go(func() {
			for i := range rounds {
				var atts []Attachment
				if i%5 == 0 {
					h, err := b.RegionCreate(pid, 64)
					if err != nil {
						t.Errorf("create: %v", err)
						return
					}
					atts = []Attachment{{Handle: h, Rights: RightRead | FlagTransfer}}
				}
				err := b.Publish(ctx, Message{From: pid, Topic: fmt.Sprintf("h.%d.x", i%3), Payload: []byte{byte(i)}, Regions: atts})
				if err != nil && !errors.Is(err, ErrFull) && !errors.Is(err, ErrNotFound) {
					t.Errorf("publish: %v", err)
				}
				if err != nil && len(atts) > 0 {
					b.RegionRelease(pid, atts[0].Handle) // not transferred when nobody got it
				}
			}
		})
	}
	// One subscriber leaves in the middle of it all.
	time.AfterFunc(20*time.Millisecond, func() { b.Detach(100) })
	pwg.Wait()
	close(stop)
	wg.Wait()
	for s := range subs {
		b.Detach(PID(100 + s))
	}
	for p := range pubs {
		b.Detach(PID(200 + p))
	}
	st := b.Stats()
	if st.Regions != 0 || st.Subs != 0 || st.Inboxes != 0 {
		t.Fatalf("left behind: %+v", st)
	}
	if received.Load() == 0 {
		t.Fatal("nothing was received")
	}
}
