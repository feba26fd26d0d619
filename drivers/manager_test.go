package drivers_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers"
	"github.com/orbital/orbital/drivers/drivertest"
	"github.com/orbital/orbital/internal/testenv"
)

const testDriver = "github.com/orbital/orbital/drivers/internal/testdriver"

func spec(t testing.TB, args ...string) drivers.Spec {
	t.Helper()
	p, d := drivertest.Build(t, testDriver)
	return drivers.Spec{Name: "testdriver", Version: "0.0.1", Path: p, Digest: d, Args: args}
}

func TestConformance(t *testing.T) {
	drivertest.Conformance(t, spec(t, "echo"))
}

func TestRequestPublishAndRegions(t *testing.T) {
	h := drivertest.New(t)
	d := h.Start(spec(t, "echo"))
	h.WaitFor(d, "running", 5*time.Second, func(i drivers.Info) bool { return i.State == drivers.Running })

	// The driver subscribes during its start; poll until the request is routed.
	var rep bus.Message
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		rep, err = h.Request("test.echo", []byte("ping"), time.Second)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if string(rep.Payload) != "ping" || rep.From != d.PID() {
		t.Fatalf("reply %q from %v", rep.Payload, rep.From)
	}

	// A region created by the client travels to the driver as a memfd; the driver echoes its
	// first byte after the payload.
	rh, err := h.Bus.RegionCreate(drivertest.ClientPID, 4096)
	if err != nil {
		t.Fatal(err)
	}
	h.Bus.RegionWrite(drivertest.ClientPID, rh, 0, []byte{'Z'})
	rep, err = h.Bus.Request(t.Context(), bus.Message{From: drivertest.ClientPID, Topic: "test.echo", Payload: []byte("r:"),
		Regions: []bus.Attachment{{Handle: rh, Rights: bus.RightRead}}}, 2*time.Second)
	if err != nil || string(rep.Payload) != "r:Z" {
		t.Fatalf("region request: %q %v", rep.Payload, err)
	}
	h.Bus.RegionRelease(drivertest.ClientPID, rh)

	// Ticks arrive with the driver's region attached; the counter in shared memory advances.
	h.Subscribe("test.tick", bus.Lossy)
	var last uint64
	for i := 0; i < 5; i++ {
		m := h.Next(2 * time.Second)
		if len(m.Regions) != 1 {
			t.Fatalf("tick without region: %+v", m)
		}
		r, _, err := h.Bus.Region(drivertest.ClientPID, m.Regions[0].Handle)
		if err != nil {
			t.Fatal(err)
		}
		n := binary.LittleEndian.Uint64(r.Bytes())
		if n < last {
			t.Fatalf("counter went back: %d after %d", n, last)
		}
		last = n
		h.Release(m)
	}
	if last < 2 {
		t.Fatalf("counter did not advance: %d", last)
	}
}

func TestDeviceGrantIsChecked(t *testing.T) {
	h := drivertest.New(t, func(c *drivers.Config) {
		c.CheckDevice = func(pid bus.PID, device string) error {
			return fmt.Errorf("%v has no %q device grant", pid, device)
		}
	})
	h.Start(spec(t, "echo"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		rep, err := h.Request("test.echo", []byte("ping"), time.Second)
		if err == nil {
			if !strings.Contains(string(rep.Payload), `device \"testdriver\" not granted`) {
				t.Fatalf("denied request answered %q", rep.Payload)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("request: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFailures(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		cfg    func(*drivers.Config)
		start  string // substring of the Start error, "" if it must start
		reason string // substring of the final reason
	}{
		{name: "no hello", args: []string{"nohello"}, cfg: func(c *drivers.Config) { c.HandshakeTimeout = 300 * time.Millisecond },
			start: "no hello within 300ms"},
		{name: "bad cookie", args: []string{"badcookie"}, start: "wrong magic cookie"},
		{name: "bad version", args: []string{"badversion"}, start: "protocol version 99, the kernel speaks 1,2"},
		{name: "garbage", args: []string{"garbage"}, reason: "driver protocol violation: bad frame header"},
		{name: "hang", args: []string{"hang"}, reason: "hung: no answer to heartbeats"},
		{name: "crash", args: []string{"crash-after", "200ms"}, reason: "panic: testdriver: crashing on purpose"},
		{name: "exit 0", args: []string{"exit0"}, reason: "exited on its own"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var opts []drivertest.Options
			if c.cfg != nil {
				opts = append(opts, c.cfg)
			}
			h := drivertest.New(t, opts...)
			d, err := h.Manager.Start(spec(t, c.args...))
			if c.start != "" {
				if err == nil || !strings.Contains(err.Error(), c.start) || !errors.Is(err, drivers.ErrHandshake) {
					t.Fatalf("start error %v, want %q", err, c.start)
				}
				if i := d.Info(); i.State != drivers.Failed {
					t.Fatalf("row after a failed start: %+v", i)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			i := h.WaitFor(d, "ended", 10*time.Second, func(i drivers.Info) bool { return i.State.Done() })
			if !strings.Contains(i.Reason, c.reason) {
				t.Fatalf("reason %q, want %q", i.Reason, c.reason)
			}
		})
	}
}

func TestKillEscalation(t *testing.T) {
	h := drivertest.New(t)
	d := h.Start(spec(t, "ignore-stop"))
	pid := d.Info().OSPID
	start := time.Now()
	d.Stop()
	took := time.Since(start)
	if drivertest.Alive(pid) {
		t.Fatalf("driver %d survived Stop", pid)
	}
	// It ignores the Stop frame and SIGTERM: only SIGKILL after both grace periods ends it.
	if took < time.Second {
		t.Fatalf("stop took %v: the escalation skipped a step", took)
	}
	if !strings.Contains(d.Info().Reason, "stopped on request") {
		t.Fatalf("reason %q", d.Info().Reason)
	}
}

func TestGroupKilled(t *testing.T) {
	h := drivertest.New(t)
	d := h.Start(spec(t, "spawn"))
	pgid := d.Info().OSPID
	h.WaitFor(d, "spawned its child", 5*time.Second, func(drivers.Info) bool {
		return len(drivertest.ProcessGroup(pgid)) >= 2
	})
	d.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for len(drivertest.ProcessGroup(pgid)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("processes of the driver's group left: %v", drivertest.ProcessGroup(pgid))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRestartGivesUp(t *testing.T) {
	h := drivertest.New(t)
	s := spec(t, "crash-after", "10ms")
	s.Restart = drivers.Restart{Policy: drivers.RestartOnFailure, MaxRestarts: 2, Backoff: 10 * time.Millisecond}
	d := h.Start(s)
	i := h.WaitFor(d, "given up", 15*time.Second, func(i drivers.Info) bool { return i.State == drivers.Failed })
	if i.Restarts != 2 || !strings.Contains(i.Reason, "gave up after 2 restarts") {
		t.Fatalf("%+v", i)
	}
	_ = syscall.Getpid
}

// TestCrashStopsOnlyThatDriver runs two drivers; one crashes, the other keeps answering.
func TestCrashStopsOnlyThatDriver(t *testing.T) {
	h := drivertest.New(t)
	a := spec(t, "echo")
	a.Name = "steady"
	b := spec(t, "crash-after", "100ms")
	b.Name = "crashy"
	da := h.Start(a)
	db := h.Start(b)
	h.WaitFor(db, "crashed", 10*time.Second, func(i drivers.Info) bool { return i.State == drivers.Crashed })
	if i := da.Info(); i.State != drivers.Running {
		t.Fatalf("the other driver: %+v", i)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		rep, err := h.Request("test.echo", []byte("still there"), time.Second)
		if err == nil {
			if rep.From != da.PID() || string(rep.Payload) != "still there" {
				t.Fatalf("reply %q from %v", rep.Payload, rep.From)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPeers drives protocol version 2's peer frames: the driver learns each sender's name and
// limits before its first message (and again when they change), hears when a sender left the
// bus, and its refusals and usage table reach the host.
func TestPeers(t *testing.T) {
	var mu sync.Mutex
	limit := int64(5)
	var audits []string
	h := drivertest.New(t, func(c *drivers.Config) {
		c.Peer = func(pid bus.PID) drivers.PeerInfo {
			mu.Lock()
			defer mu.Unlock()
			return drivers.PeerInfo{Name: fmt.Sprintf("client%d", pid), Limits: map[string]int64{"limits.x": limit}}
		}
		c.Audit = func(driver string, pid bus.PID, op, object, reason string) {
			mu.Lock()
			audits = append(audits, fmt.Sprintf("%s %d %s %s: %s", driver, uint32(pid), op, object, reason))
			mu.Unlock()
		}
	})
	d := h.Start(spec(t, "echo"))
	ask := func(from bus.PID) string {
		t.Helper()
		var rep bus.Message
		testenv.Eventually(t, func() bool {
			var err error
			rep, err = h.Bus.Request(t.Context(), bus.Message{From: from, Topic: "test.peer"}, time.Second)
			return err == nil
		}, 10*time.Second, "an answer on test.peer")
		return string(rep.Payload)
	}
	if got := ask(drivertest.ClientPID); got != "client1 limits.x=5" {
		t.Fatalf("peer as the driver saw it: %q", got)
	}
	mu.Lock()
	limit = 7 // a policy edit: the driver is told again
	mu.Unlock()
	if got := ask(drivertest.ClientPID); got != "client1 limits.x=7" {
		t.Fatalf("peer after a limit changed: %q", got)
	}
	if _, err := h.Bus.Attach(2, bus.InboxLimits{}); err != nil {
		t.Fatal(err)
	}
	if got := ask(2); got != "client2 limits.x=7" {
		t.Fatalf("second peer: %q", got)
	}
	h.Bus.Detach(2)
	testenv.Eventually(t, func() bool { return strings.Contains(strings.Join(h.Logs(), "\n"), "peer 2 gone") }, 10*time.Second, "the driver told that pid 2 left")
	i := h.WaitFor(d, "usage of two peers", 5*time.Second, func(i drivers.Info) bool { return len(i.Usage) == 2 })
	for _, r := range i.Usage {
		if want := map[bus.PID]int64{1: 2, 2: 1}[r.PID]; r.Values["asked"] != want {
			t.Errorf("usage row %+v, want asked=%d", r, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(audits) != 3 || audits[0] != "testdriver 1 peer test.peer: refused on purpose" {
		t.Errorf("audits: %q", audits)
	}
}
