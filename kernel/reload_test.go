package kernel

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/policies"
)

// startProbe spawns the probe module m and waits until it has subscribed to "probe".
func startProbe(t *testing.T, k *Kernel, m *Module, o SpawnOptions) *Process {
	t.Helper()
	p := spawn(t, k, m, o)
	testenv.Eventually(t, func() bool { return k.Bus().Subscribers("probe") > 0 }, 10*time.Second, "the probe subscribes")
	return p
}

func TestReloadInPlace(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true, ReloadGrace: 100 * time.Millisecond})
	m1 := watModule(t, k, "probe", probeWAT(probeOpts{version: 1}))
	m2 := watModule(t, k, "probe", probeWAT(probeOpts{version: 2}))
	p := startProbe(t, k, m1, SpawnOptions{Version: "1.0.0"})
	if v, n, _ := ask(t, k); v != 1 || n != 1 {
		t.Fatalf("before: version %d count %d, want 1 1", v, n)
	}
	g := closeGate(t, k, p.PID()) // count 2; the old code is busy, away from its safe point
	done := reloadAsync(t, k, p, m2, ReloadOptions{Version: "2.0.0"})
	// Queued while the reload waits for the safe point: the new code must be the one to get it.
	if err := k.Bus().Post(bus.Message{Kind: bus.KindDirect, To: p.PID(), Payload: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	queued := p.Info().Inbox.Depth
	g.open(t)
	a := <-done
	if a.err != nil {
		t.Fatalf("Reload: %v", a.err)
	}
	if a.res.Outcome != ReloadCommitted || a.res.State != 4 || !a.res.Restored || a.res.Pause <= 0 {
		t.Fatalf("result %+v, want committed with 4 bytes of state restored", a.res)
	}
	if v, n, mine := ask(t, k); v != 2 || n != 4 || mine != 2 {
		t.Fatalf("after: version %d count %d mine %d, want 2 4 2 (the state carried over, the queued message handled by the new code)", v, n, mine)
	}
	in := p.Info()
	if in.PID != p.PID() || in.State.Done() || in.Version != "2.0.0" || in.Digest != m2.Digest || in.Reloads != 1 ||
		!strings.HasPrefix(in.Reload, "reloaded 1.0.0") {
		t.Fatalf("Info after reload: %+v", in)
	}
	if queued != 1 || in.Inbox.Drops != 0 {
		t.Fatalf("queued %d at the swap, %d dropped; want 1, 0", queued, in.Inbox.Drops)
	}
	if n := k.Bus().Subscribers("probe"); n != 1 {
		t.Fatalf("%d subscriptions to probe after the reload, want 1 (the new code's subscribe adopts the old one)", n)
	}
	if spec := p.spawnSpec(); spec.module != m2 || spec.asked.Version != "2.0.0" {
		t.Fatalf("Respawn would start %s %s, want the new code", spec.module.Digest, spec.asked.Version)
	}
}

func TestReloadRollsBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		v2   probeOpts
		why  string
	}{
		{"trap at start", probeOpts{version: 2, trapAtStart: true}, "unreachable"},
		{"restore refuses the state", probeOpts{version: 2, restoreCode: -1}, "refused the state: ERR_INVALID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKernel(t, Config{AllowAll: true})
			m1 := watModule(t, k, "probe", probeWAT(probeOpts{version: 1}))
			m2 := watModule(t, k, "probe", probeWAT(tc.v2))
			p := startProbe(t, k, m1, SpawnOptions{Version: "1.0.0"})
			ask(t, k)
			ask(t, k)
			res, err := k.Reload(context.Background(), p.PID(), m2, ReloadOptions{Version: "2.0.0"})
			if err != nil {
				t.Fatalf("Reload: %v", err)
			}
			if res.Outcome != ReloadRolledBack || !strings.Contains(res.Reason, tc.why) || !strings.Contains(res.Reason, "back to 1.0.0") {
				t.Fatalf("result %+v, want rolled back because %q", res, tc.why)
			}
			if v, n, mine := ask(t, k); v != 1 || n != 3 || mine != 1 {
				t.Fatalf("after rollback: version %d count %d mine %d, want 1 3 1 (the old code started again, with its state)", v, n, mine)
			}
			in := p.Info()
			if in.State.Done() || in.Version != "1.0.0" || in.Digest != m1.Digest || in.Reloads != 0 || !strings.Contains(in.Reload, "rolled back") {
				t.Fatalf("Info after rollback: %+v", in)
			}
		})
	}
}

func TestReloadRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		v1, v2 probeOpts
		why    string
	}{
		{"does not link", probeOpts{version: 1}, probeOpts{version: 2, badImport: true}, "does not link"},
		{"the old code refuses", probeOpts{version: 1, saveResult: -6}, probeOpts{version: 2}, "answered ERR_DENIED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKernel(t, Config{AllowAll: true})
			m1 := watModule(t, k, "probe", probeWAT(tc.v1))
			m2 := watModule(t, k, "probe", probeWAT(tc.v2))
			p := startProbe(t, k, m1, SpawnOptions{})
			ask(t, k)
			_, err := k.Reload(context.Background(), p.PID(), m2, ReloadOptions{})
			var re *ReloadError
			if !errors.As(err, &re) || !errors.Is(err, ErrReloadRefused) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("Reload: %v, want refused because %q", err, tc.why)
			}
			if v, n, mine := ask(t, k); v != 1 || n != 2 || mine != 2 {
				t.Fatalf("after the refusal: version %d count %d mine %d, want the old code going on (1 2 2)", v, n, mine)
			}
			if p.reloading.Load() {
				t.Fatal("still marked as reloading")
			}
		})
	}
}

func TestReloadRefusedEarly(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	m1 := watModule(t, k, "probe", probeWAT(probeOpts{version: 1}))
	service := watModule(t, k, "svc", `(module (func (export "_initialize")))`)

	t.Run("no safe point", func(t *testing.T) {
		spinner := watModule(t, k, "probe", probeWAT(probeOpts{version: 1, spin: true}))
		p := spawn(t, k, spinner, SpawnOptions{Limits: Limits{Deadline: -1}})
		defer k.Kill(p.PID(), true)
		_, err := k.Reload(context.Background(), p.PID(), m1, ReloadOptions{SafePoint: 50 * time.Millisecond})
		if !errors.Is(err, ErrReloadRefused) || !strings.Contains(err.Error(), "did not call recv") {
			t.Fatalf("Reload: %v", err)
		}
		if p.Info().State.Done() || p.reloadReq.Load() != nil || p.reloading.Load() {
			t.Fatalf("after the refusal: %+v, request %v", p.Info(), p.reloadReq.Load())
		}
	})
	t.Run("another kind", func(t *testing.T) {
		p := startProbe(t, k, m1, SpawnOptions{})
		defer k.Kill(p.PID(), true)
		if _, err := k.Reload(context.Background(), p.PID(), service, ReloadOptions{}); !errors.Is(err, ErrReloadRefused) || !strings.Contains(err.Error(), "keeps the kind") {
			t.Fatalf("Reload: %v", err)
		}
	})
	t.Run("not running", func(t *testing.T) {
		p := spawn(t, k, service, SpawnOptions{})
		wait(t, p, 10*time.Second)
		if _, err := k.Reload(context.Background(), p.PID(), m1, ReloadOptions{}); !errors.Is(err, ErrNotRunning) {
			t.Fatalf("Reload: %v", err)
		}
		if _, err := k.Reload(context.Background(), 9999, m1, ReloadOptions{}); !errors.Is(err, ErrNoProcess) {
			t.Fatalf("Reload of an unknown pid: %v", err)
		}
	})
}

// A reload keeps the grants a process has: new code whose manifest asks for a different set
// (so that its effective grants differ) is refused, naming the difference.
func TestReloadPolicyGrants(t *testing.T) {
	st := policyHome(t, map[string]string{"probe.toml": "[module]\nmatch = \"probe\"\n[bus]\nsubscribe = [\"probe\"]\npublish = [\"probe.out\"]\n"})
	k := newKernel(t, Config{Policies: st, ReloadGrace: 50 * time.Millisecond})
	m1 := watModule(t, k, "probe", probeWAT(probeOpts{version: 1}))
	m2 := watModule(t, k, "probe", probeWAT(probeOpts{version: 2}))
	p := startProbe(t, k, m1, SpawnOptions{})
	narrower := &policies.Grants{Subscribe: []policies.Rule{{Value: "probe"}}}
	_, err := k.Reload(context.Background(), p.PID(), m2, ReloadOptions{Requests: narrower})
	if !errors.Is(err, ErrReloadRefused) || !strings.Contains(err.Error(), "would lose publish probe.out") {
		t.Fatalf("Reload with narrower requests: %v", err)
	}
	res, err := k.Reload(context.Background(), p.PID(), m2, ReloadOptions{})
	if err != nil || res.Outcome != ReloadCommitted {
		t.Fatalf("Reload with the same grants: %+v, %v", res, err)
	}
	if v, _, _ := ask(t, k); v != 2 {
		t.Fatalf("version %d after the reload, want 2", v)
	}
}

// countingDisplay counts the surfaces created and closed.
type countingDisplay struct{ created, closed atomic.Int32 }

type countingSurface struct{ d *countingDisplay }

func (countingSurface) Present([]byte, int) error { return nil }
func (countingSurface) Resize(int, int) error     { return nil }
func (s countingSurface) Close()                  { s.d.closed.Add(1) }

func (d *countingDisplay) CreateSurface(SurfaceOwner, string, int, int) (Surface, error) {
	d.created.Add(1)
	return countingSurface{d}, nil
}

func TestReloadKeepsWindows(t *testing.T) {
	d := &countingDisplay{}
	k := newKernel(t, Config{AllowAll: true, Display: d, ReloadGrace: 50 * time.Millisecond})
	m1 := watModule(t, k, "probe", probeWAT(probeOpts{version: 1, surface: true}))
	m2 := watModule(t, k, "probe", probeWAT(probeOpts{version: 2, surface: true, noState: true}))
	p := startProbe(t, k, m1, SpawnOptions{UI: true})
	res, err := k.Reload(context.Background(), p.PID(), m2, ReloadOptions{})
	if err != nil || res.Outcome != ReloadCommitted || res.State != 4 || res.Restored {
		t.Fatalf("Reload: %+v, %v; want committed, the state not taken", res, err)
	}
	if v, n, _ := ask(t, k); v != 2 || n != 1 {
		t.Fatalf("version %d count %d, want 2 1 (started fresh)", v, n)
	}
	if c, x := d.created.Load(), d.closed.Load(); c != 1 || x != 0 {
		t.Fatalf("%d surfaces created, %d closed; want the one window kept", c, x)
	}
	k.Kill(p.PID(), true)
	wait(t, p, 10*time.Second)
	if x := d.closed.Load(); x != 1 {
		t.Fatalf("%d surfaces closed at exit, want 1", x)
	}
}

// Messages sent while a process is reloaded again and again are all delivered: the inbox is
// never detached.
func TestReloadDropsNoMessage(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true, ReloadGrace: 10 * time.Millisecond})
	mods := []*Module{
		watModule(t, k, "probe", probeWAT(probeOpts{version: 1})),
		watModule(t, k, "probe", probeWAT(probeOpts{version: 2})),
	}
	p := startProbe(t, k, mods[0], SpawnOptions{})
	const sent = 2000
	fed := make(chan error, 1)
	go func() {
		for i := 0; i < sent; i++ {
			if err := k.Bus().Send(context.Background(), bus.Message{Kind: bus.KindDirect, To: p.PID(), Payload: []byte("m")}); err != nil {
				fed <- err
				return
			}
		}
		fed <- nil
	}()
	for i := 1; i <= 6; i++ {
		if res, err := k.Reload(context.Background(), p.PID(), mods[i%2], ReloadOptions{}); err != nil || res.Outcome != ReloadCommitted {
			t.Fatalf("reload %d: %+v, %v", i, res, err)
		}
	}
	if err := <-fed; err != nil {
		t.Fatal(err)
	}
	if v, n, _ := ask(t, k); v != 1 || n != sent+1 {
		t.Fatalf("version %d count %d, want 1 %d", v, n, sent+1)
	}
	if in := p.Info(); in.Reloads != 6 || in.Inbox.Drops != 0 {
		t.Fatalf("Info: %+v", in)
	}
}

// A kill during the grace period ends the process; the reload reports it.
func TestReloadKilledInGrace(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true, ReloadGrace: time.Hour})
	m1 := watModule(t, k, "probe", probeWAT(probeOpts{version: 1}))
	m2 := watModule(t, k, "probe", probeWAT(probeOpts{version: 2}))
	p := startProbe(t, k, m1, SpawnOptions{})
	done := make(chan reloadAnswer, 1)
	go func() {
		res, err := k.Reload(context.Background(), p.PID(), m2, ReloadOptions{})
		done <- reloadAnswer{res, err}
	}()
	testenv.Eventually(t, func() bool { v, _, _ := ask(t, k); return v == 2 }, 10*time.Second, "the new code answers")
	k.Kill(p.PID(), true)
	a := <-done
	if a.err != nil || a.res.Outcome != ReloadEnded {
		t.Fatalf("Reload: %+v", a)
	}
	if in := wait(t, p, 10*time.Second); in.ExitCode != ExitKilled {
		t.Fatalf("Info: %+v", in)
	}
}
