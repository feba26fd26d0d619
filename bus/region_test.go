package bus

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRegionLifecycle(t *testing.T) {
	b := New(Config{})
	attach(t, b, 1, InboxLimits{})
	rx := attach(t, b, 2, InboxLimits{})
	ctx := context.Background()
	h, err := b.RegionCreate(1, 4096)
	if err != nil {
		t.Fatal(err)
	}
	r, rights, err := b.Region(1, h)
	if err != nil || rights != RightRead|RightWrite || r.Size() != 4096 {
		t.Fatalf("region: %v %v %v", r, rights, err)
	}
	if r.Fd() < 0 {
		t.Log("memfd unavailable: region on the Go heap")
	}
	if err := b.RegionWrite(1, h, 100, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Bytes()[100:105], []byte("hello")) {
		t.Fatal("write not visible in place")
	}
	// Share read-only.
	if err := b.Send(ctx, Message{From: 1, To: 2, Regions: []Attachment{{Handle: h, Rights: RightRead}}}); err != nil {
		t.Fatal(err)
	}
	m, _ := rx.TryRecv()
	if len(m.Regions) != 1 || m.Regions[0].Rights != RightRead {
		t.Fatalf("received %+v", m.Regions)
	}
	rh := m.Regions[0].Handle
	got := make([]byte, 5)
	if err := b.RegionRead(2, rh, 100, got); err != nil || string(got) != "hello" {
		t.Fatalf("read %q %v", got, err)
	}
	if err := b.RegionWrite(2, rh, 0, []byte("x")); !errors.Is(err, ErrRights) {
		t.Fatalf("write through a read-only handle: %v", err)
	}
	if err := b.RegionRead(2, rh, 4095, got); !errors.Is(err, ErrInvalid) {
		t.Fatalf("read past the end: %v", err)
	}
	if err := b.RegionRead(2, rh, -1, got); !errors.Is(err, ErrInvalid) {
		t.Fatalf("negative offset: %v", err)
	}
	if err := b.RegionRead(2, 999, 0, got); !errors.Is(err, ErrNotFound) {
		t.Fatalf("forged handle: %v", err)
	}
	// The receiver cannot escalate: it holds read only.
	if err := b.Send(ctx, Message{From: 2, To: 1, Regions: []Attachment{{Handle: rh, Rights: RightRead | RightWrite}}}); !errors.Is(err, ErrRights) {
		t.Fatalf("escalating grant: %v", err)
	}
	if err := b.RegionRelease(1, h); err != nil {
		t.Fatal(err)
	}
	if b.Stats().Regions != 1 {
		t.Fatal("region freed while the receiver still holds it")
	}
	if err := b.RegionRelease(2, rh); err != nil {
		t.Fatal(err)
	}
	if b.Stats().Regions != 0 {
		t.Fatal("region not freed after the last release")
	}
	if err := b.RegionRelease(2, rh); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stale handle: %v", err)
	}
}

func TestRegionTransfer(t *testing.T) {
	b := New(Config{})
	attach(t, b, 1, InboxLimits{})
	rx := attach(t, b, 2, InboxLimits{})
	h, _ := b.RegionCreate(1, 64)
	err := b.Send(context.Background(), Message{From: 1, To: 2, Regions: []Attachment{{Handle: h, Rights: RightRead | RightWrite | FlagTransfer}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.RegionSize(1, h); !errors.Is(err, ErrNotFound) {
		t.Fatalf("sender still holds a transferred handle: %v", err)
	}
	m, _ := rx.TryRecv()
	if err := b.RegionWrite(2, m.Regions[0].Handle, 0, []byte("mine")); err != nil {
		t.Fatal(err)
	}
	b.Detach(2)
	if b.Stats().Regions != 0 {
		t.Fatal("detach did not release the region")
	}
}

func TestRegionDroppedWithMessage(t *testing.T) {
	b := New(Config{})
	attach(t, b, 1, InboxLimits{})
	rx := attach(t, b, 2, InboxLimits{MaxMsgs: 1})
	b.Subscribe(2, "frames", Lossy)
	ctx := context.Background()
	for range 5 {
		h, _ := b.RegionCreate(1, 64)
		if err := b.Publish(ctx, Message{From: 1, Topic: "frames", Regions: []Attachment{{Handle: h, Rights: RightRead | FlagTransfer}}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.Stats().Regions; n != 1 {
		t.Fatalf("%d regions alive, want 1 (the one in the queued frame)", n)
	}
	if rx.Stats().Regions != 1 {
		t.Fatalf("receiver holds %d handles", rx.Stats().Regions)
	}
	b.Detach(2)
	if n := b.Stats().Regions; n != 0 {
		t.Fatalf("%d regions alive after detach", n)
	}
}

func TestRegionLimits(t *testing.T) {
	b := New(Config{MaxRegionSize: 1 << 20})
	attach(t, b, 1, InboxLimits{MaxRegions: 2, MaxRegionBytes: 1000})
	if _, err := b.RegionCreate(1, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("size 0: %v", err)
	}
	if _, err := b.RegionCreate(1, 2<<20); !errors.Is(err, ErrInvalid) {
		t.Fatalf("over the bus maximum: %v", err)
	}
	if _, err := b.RegionCreate(1, 1001); !errors.Is(err, ErrLimit) {
		t.Fatalf("over the process's bytes: %v", err)
	}
	h1, _ := b.RegionCreate(1, 100)
	if _, err := b.RegionCreate(1, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := b.RegionCreate(1, 100); !errors.Is(err, ErrLimit) {
		t.Fatalf("third handle: %v", err)
	}
	b.RegionRelease(1, h1)
	if _, err := b.RegionCreate(1, 800); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	if _, err := b.RegionCreate(9, 10); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown pid: %v", err)
	}
}

func TestRegionReply(t *testing.T) {
	b := New(Config{})
	srv := attach(t, b, 1, InboxLimits{})
	attach(t, b, 2, InboxLimits{})
	b.Subscribe(1, "render", Reliable)
	go func() {
		m, err := srv.Recv(context.Background())
		if err != nil {
			return
		}
		h, _ := b.RegionCreate(1, 16)
		b.RegionWrite(1, h, 0, []byte("pixels"))
		b.Reply(Message{From: 1, Corr: m.Corr, Regions: []Attachment{{Handle: h, Rights: RightRead | FlagTransfer}}})
	}()
	r, err := b.Request(context.Background(), Message{From: 2, Topic: "render"}, -1)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if err := b.RegionRead(2, r.Regions[0].Handle, 0, buf); err != nil || string(buf) != "pixels" {
		t.Fatalf("%q %v", buf, err)
	}
}

// TestRegionReleaseRacesRead: handles released while a reader copies from the region; the
// reader holds its own reference for each copy, so the pages stay mapped (no fault) and the
// region is freed once everyone is done.
func TestRegionReleaseRacesRead(t *testing.T) {
	b := New(Config{})
	attach(t, b, 1, InboxLimits{})
	rx := attach(t, b, 2, InboxLimits{})
	for range 50 {
		h, _ := b.RegionCreate(1, 1<<16)
		b.Send(context.Background(), Message{From: 1, To: 2, Regions: []Attachment{{Handle: h, Rights: RightRead}}})
		m, _ := rx.TryRecv()
		rh := m.Regions[0].Handle
		r, _, release, err := b.RegionAcquire(2, rh)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			buf := make([]byte, 1<<16)
			for b.RegionRead(2, rh, 0, buf) == nil {
			}
		}()
		b.RegionRelease(1, h)
		b.RegionRelease(2, rh)
		<-done
		if len(r.Bytes()) != 1<<16 {
			t.Fatal("acquired region unmapped while held")
		}
		release()
		release() // twice is harmless
	}
	if n := b.Stats().Regions; n != 0 {
		t.Fatalf("%d regions alive", n)
	}
}

// A region made for a process that detaches meanwhile (a driver stopping while its reader
// adopts the memfd it just sent) must not outlive the process: the policy hook, which runs
// between the lookup of the inbox and the insertion of the handle, detaches the process here.
// Before the fix the handle went into the detached table after Detach had emptied it, and the
// region and its memfd lived on (drivertest: "memfds open after shutdown").
func TestRegionMadeWhileDetaching(t *testing.T) {
	for _, adopt := range []bool{false, true} {
		name := map[bool]string{false: "create", true: "adopt"}[adopt]
		t.Run(name, func(t *testing.T) {
			var b *Bus
			b = New(Config{Check: func(op Op, pid PID, object string) error {
				if op == OpRegion {
					b.Detach(pid)
				}
				return nil
			}})
			attach(t, b, 1, InboxLimits{})
			var err error
			fd := -1
			if adopt {
				fd, err = unix.MemfdCreate("region-test", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
				if err != nil {
					t.Skipf("memfd_create: %v", err)
				}
				if err := unix.Ftruncate(fd, 4096); err != nil {
					t.Fatal(err)
				}
				_, err = b.RegionAdopt(1, fd, 4096)
			} else {
				_, err = b.RegionCreate(1, 4096)
			}
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("region for a detached process: err = %v, want ErrNotFound", err)
			}
			if n := b.Stats().Regions; n != 0 {
				t.Errorf("%d regions live after the process detached", n)
			}
			if adopt {
				if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
					t.Errorf("the adopted memfd is still open (F_GETFD: %v)", err)
					unix.Close(fd)
				}
			}
		})
	}
}
