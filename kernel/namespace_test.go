package kernel

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/policies"
)

// nullSurface and nullDisplay accept surfaces and drop their pixels.
type nullSurface struct{}

func (nullSurface) Present([]byte, int) error { return nil }
func (nullSurface) Resize(int, int) error     { return nil }
func (nullSurface) Close()                    {}

type nullDisplay struct{}

func (nullDisplay) CreateSurface(SurfaceOwner, string, int, int) (Surface, error) {
	return nullSurface{}, nil
}

// policyHome writes policy files (name -> TOML) into a fresh home and opens its store.
func policyHome(t testing.TB, files map[string]string) *policies.Store {
	t.Helper()
	home := t.TempDir()
	dir := filepath.Join(home, "policies")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := policies.Open(home)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// auditLines reads st's audit log as "module op object" lines, oldest first.
func auditLines(t testing.TB, st *policies.Store) string {
	t.Helper()
	recs, err := policies.ReadAudit(st.Audit().Path())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Module+" "+r.Op+" "+r.Object)
	}
	return strings.Join(got, "\n")
}

// surfaceWAT opens a w×h surface and exits 0 on success, else with the negated error code.
func surfaceWAT(w, h int) string {
	return wat(`(func (export "_start") (local $r i32)
  (local.set $r (call $surface_create (i32.const ` + strconv.Itoa(w) + `) (i32.const ` + strconv.Itoa(h) + `) (i32.const 16) (i32.const 5)))
  (if (i32.gt_s (local.get $r) (i32.const 0)) (then (call $exit (i32.const 0))))
  (call $exit (i32.sub (i32.const 0) (local.get $r))))`)
}

func TestPolicySurface(t *testing.T) {
	st := policyHome(t, map[string]string{"ui.toml": "[module]\nmatch = \"ui\"\n[ui]\nwindows = true\nmax_surface = \"100x50\"\n"})
	k := newKernel(t, Config{Display: nullDisplay{}, Policies: st})
	for _, tc := range []struct {
		name string
		w, h int
		want int
	}{
		{"ui", 100, 50, 0},
		{"ui", 101, 50, -int(errDenied)},
		{"ui", 100, 51, -int(errDenied)},
		{"stranger", 10, 10, -int(errDenied)},
	} {
		m := watModule(t, k, tc.name, surfaceWAT(tc.w, tc.h))
		if in := wait(t, spawn(t, k, m, SpawnOptions{UI: true}), 10*time.Second); in.ExitCode != tc.want {
			t.Errorf("%s %dx%d: exit %d (%s), want %d", tc.name, tc.w, tc.h, in.ExitCode, in.Reason, tc.want)
		}
	}
	recs, err := policies.ReadAudit(st.Audit().Path())
	if err != nil || len(recs) != 3 || recs[0].Op != "surface" || recs[0].Object != "101x50" || recs[2].Module != "stranger" {
		t.Fatalf("audit = %+v, %v", recs, err)
	}
}

func TestPolicyBusAndAttenuation(t *testing.T) {
	st := policyHome(t, map[string]string{
		"parent.toml": "[module]\nmatch = \"parent\"\n[bus]\npublish = [\"a.>\"]\nsubscribe = [\"a.>\"]\n[process]\nspawn = [\"child\"]\n",
		"child.toml":  "[module]\nmatch = \"child\"\n[bus]\npublish = [\"a.b\", \"z.>\"]\n",
	})
	k := newKernel(t, Config{Policies: st})
	parent := spawn(t, k, watModule(t, k, "parent", wat(watLoop)), SpawnOptions{})
	free := spawn(t, k, watModule(t, k, "child", wat(watLoop)), SpawnOptions{})
	child := spawn(t, k, watModule(t, k, "child", wat(watLoop)), SpawnOptions{Parent: parent.PID()})
	if _, err := k.Bus().Subscribe(parent.PID(), "a.>", bus.Lossy); err != nil {
		t.Fatalf("granted subscribe: %v", err)
	}
	if _, err := k.Bus().Subscribe(parent.PID(), ">", bus.Lossy); !errors.Is(err, bus.ErrDenied) {
		t.Fatalf("subscribe wider than granted: %v", err)
	}
	if _, err := k.Bus().Subscribe(free.PID(), "z.>", bus.Lossy); !errors.Is(err, bus.ErrDenied) {
		t.Fatalf("subscribe with no grant: %v", err)
	}
	ctx := context.Background()
	pub := func(from bus.PID, topic string) error {
		return k.Bus().Publish(ctx, bus.Message{From: from, Topic: topic, Payload: []byte("x")})
	}
	for _, tc := range []struct {
		who    string
		from   bus.PID
		topic  string
		denied bool
	}{
		{"parent", parent.PID(), "a.b", false},
		{"parent", parent.PID(), "z.q", true},
		{"free child", free.PID(), "z.q", false},
		{"attenuated child", child.PID(), "a.b", false},
		{"attenuated child", child.PID(), "z.q", true},
		{"attenuated child", child.PID(), "a.c", true},
	} {
		err := pub(tc.from, tc.topic)
		if got := errors.Is(err, bus.ErrDenied); got != tc.denied {
			t.Errorf("%s publish %s: %v, want denied=%v", tc.who, tc.topic, err, tc.denied)
		}
		if tc.denied && !errors.Is(err, policies.ErrDenied) {
			t.Errorf("%s publish %s: %v does not carry the policy decision", tc.who, tc.topic, err)
		}
	}
	if ns := k.Namespace(child.PID()); ns == nil || ns.AllowPublish("z.q") || !ns.AllowPublish("a.b") {
		t.Fatalf("child namespace: %+v", ns)
	}
	// A direct send needs bus.direct.
	if err := k.Bus().Send(ctx, bus.Message{From: parent.PID(), To: child.PID(), Payload: []byte("x")}); !errors.Is(err, bus.ErrDenied) {
		t.Errorf("direct send without a grant: %v", err)
	}
	for _, p := range []*Process{parent, free, child} {
		k.Kill(p.PID(), true)
		wait(t, p, 10*time.Second)
	}
	if k.Namespace(child.PID()) != nil {
		t.Errorf("namespace outlived its process")
	}
}

func TestPolicyUserGrants(t *testing.T) {
	k := newKernel(t, Config{Display: nullDisplay{}, Policies: policyHome(t, nil)})
	m := watModule(t, k, "stranger", surfaceWAT(10, 10))
	if in := wait(t, spawn(t, k, m, SpawnOptions{UI: true}), 10*time.Second); in.ExitCode != -int(errDenied) {
		t.Fatalf("no grant: exit %d", in.ExitCode)
	}
	once := &policies.Grants{Windows: policies.Flag{On: true, Src: policies.Source{File: "shell prompt"}}}
	if in := wait(t, spawn(t, k, m, SpawnOptions{UI: true, Grants: once}), 10*time.Second); in.ExitCode != 0 {
		t.Fatalf("allowed once: exit %d (%s)", in.ExitCode, in.Reason)
	}
}

func TestPolicyBrokenRefusesSpawn(t *testing.T) {
	st := policyHome(t, map[string]string{"bad.toml": "[module]\nmatch = \"bad\"\n[bus]\npublish = \"a\"\n"})
	k := newKernel(t, Config{Policies: st})
	_, err := k.Spawn(watModule(t, k, "bad", wat(watLoop)), SpawnOptions{})
	var me *ModuleError
	if !errors.As(err, &me) || !errors.Is(err, policies.ErrBroken) {
		t.Fatalf("spawn with a broken policy: %v", err)
	}
}

// BenchmarkPolicyCheck measures what the policy hook adds to the bus's 64-byte message
// throughput in the shape of the bus's own BenchmarkSendRecv: one goroutine sending direct
// messages, another receiving them. One bus and one receiver serve both sides of the
// comparison, and batches alternate between the kernel's hook with the sender's namespace
// (on) and the hook switched off (off: it returns at once), so the receiver's spinning, the
// goroutines' placement and load on the shared machine hit both alike. (Two buses, one with
// the hook and one without, measured the order they were made in: identical buses differed by
// 20-30 %.) overhead-% is the median pair's difference: 9-20 % here, far more than the hook's
// own ~9 ns (hook-alone, the hook by itself as the bus calls it for a publish) would explain.
// The profile says why: this shape is dominated by the two goroutines handing the inbox's
// mutex back and forth for every message (lockSlow ~37 % of CPU), and a producer a few ns
// slower lets the consumer catch up and contend on every message. The hook's share of the
// bus's throughput between guests, the figure the acceptance bar is about, is
// BenchmarkPolicyGuestThroughput.
func BenchmarkPolicyCheck(b *testing.B) {
	st := policyHome(b, map[string]string{
		"bench.toml": "[module]\nmatch = \"bench\"\n[bus]\npublish = [\"camera.*.frame\", \"ui.toast\", \"input.>\", \"bench.data.*\"]\nsubscribe = [\"bench.>\"]\ndirect = true\n",
	})
	payload := make([]byte, 64)
	b.Run("interleaved", func(b *testing.B) {
		pt := newPolicyTable(st, false, func(bus.PID, string, int, string) {})
		for _, pid := range []bus.PID{1, 2} {
			live, err := st.Bind(uint32(pid), policies.Identity{Name: "bench"}, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			pt.procs.store(pid, &procPolicy{live: live, name: "bench"})
		}
		var on atomic.Bool
		hook := pt.busCheck()
		bs := bus.New(bus.Config{Check: func(op bus.Op, pid bus.PID, object string) error {
			if on.Load() {
				return hook(op, pid, object)
			}
			return nil
		}})
		in, err := bs.Attach(1, bus.InboxLimits{MaxMsgs: 1024})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bs.Attach(2, bus.InboxLimits{}); err != nil {
			b.Fatal(err)
		}
		var got atomic.Int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				if _, err := in.Recv(context.Background()); err != nil {
					return
				}
				got.Add(1)
			}
		}()
		defer func() { bs.Detach(1); <-done }()
		ctx := context.Background()
		const batch = 512
		round := func(check bool) time.Duration {
			on.Store(check)
			want := got.Load() + batch
			start := time.Now()
			for range batch {
				if err := bs.Send(ctx, bus.Message{From: 2, To: 1, Payload: payload}); err != nil {
					b.Fatal(err)
				}
			}
			for got.Load() < want {
			}
			return time.Since(start)
		}
		interleaved(b, batch, round)
	})
	b.Run("hook-alone", func(b *testing.B) {
		pt := newPolicyTable(st, false, func(bus.PID, string, int, string) {})
		live, err := st.Bind(1, policies.Identity{Name: "bench"}, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		pt.procs.store(bus.PID(1), &procPolicy{live: live, name: "bench"})
		b.ReportAllocs()
		for b.Loop() {
			if err := pt.checkBus(bus.OpPublish, 1, "bench.data.x"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPolicyOverhead is the worst case for the policy hook: one goroutine publishes (or
// sends) a 64-byte message and takes it out of the inbox itself, with no other thread and no
// wake-up, so a message costs only ~120-250 ns and the hook's fixed ~10-20 ns is its largest
// possible share (5-11 % here). Batches on a bus without the hook and on one with it
// interleave, so load on a shared machine hits both alike; "overhead-%" is the median pair's
// difference. The acceptance figure is BenchmarkPolicyGuestThroughput: the hook's share of the
// bus's real throughput, guest to guest.
func BenchmarkPolicyOverhead(b *testing.B) {
	st := policyHome(b, map[string]string{
		"bench.toml": "[module]\nmatch = \"bench\"\n[bus]\npublish = [\"camera.*.frame\", \"ui.toast\", \"input.>\", \"bench.data.*\"]\nsubscribe = [\"bench.>\"]\ndirect = true\n",
	})
	type rig struct {
		bus *bus.Bus
		in  *bus.Inbox
	}
	mk := func(b *testing.B, check bool) rig {
		var pt *policyTable
		if check {
			pt = newPolicyTable(st, false, func(bus.PID, string, int, string) {})
			for _, pid := range []bus.PID{1, 2} {
				live, err := st.Bind(uint32(pid), policies.Identity{Name: "bench"}, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				pt.procs.store(pid, &procPolicy{live: live, name: "bench"})
			}
		}
		bs := bus.New(bus.Config{Check: pt.busCheck()})
		bs.Attach(1, bus.InboxLimits{})
		in, err := bs.Attach(2, bus.InboxLimits{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bs.Subscribe(2, "bench.>", bus.Reliable); err != nil {
			b.Fatal(err)
		}
		return rig{bs, in}
	}
	// A guest's topic is a fresh string each time (copied out of its memory): cycle through
	// distinct copies so the policy cache compares bytes, not pointers.
	topics := make([]string, 64)
	for i := range topics {
		topics[i] = strings.Clone("bench.data.x")
	}
	ctx := context.Background()
	payload := make([]byte, 64)
	for _, tc := range []struct {
		name string
		op   func(r rig, j int) error
	}{
		{"publish", func(r rig, j int) error {
			return r.bus.Publish(ctx, bus.Message{From: 1, Topic: topics[j%len(topics)], Payload: payload})
		}},
		{"send", func(r rig, j int) error {
			return r.bus.Send(ctx, bus.Message{From: 1, To: 2, Payload: payload})
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			off, on := mk(b, false), mk(b, true)
			const batch = 512
			round := func(r rig) time.Duration {
				start := time.Now()
				for j := range batch {
					if err := tc.op(r, j); err != nil {
						b.Fatal(err)
					}
					if _, ok := r.in.TryRecv(); !ok {
						b.Fatal("nothing received")
					}
				}
				return time.Since(start)
			}
			interleaved(b, batch, func(check bool) time.Duration {
				if check {
					return round(on)
				}
				return round(off)
			})
		})
	}
}

// BenchmarkPolicyGuestThroughput is the bus's 64-byte message throughput between two guests
// (one sends direct messages as fast as it can, the other receives them; what the bus issue
// calls the bus's throughput), on a kernel without policies (off) and on one that checks every
// send against the sender's namespace (on). The receiver times itself from its first message
// to its last, so spawns and policy resolution are not counted, and runs on the two kernels
// alternate, so load on a shared machine hits both alike. overhead-% is the median of the
// per-pair ratios; the acceptance bar is 5.
func BenchmarkPolicyGuestThroughput(b *testing.B) {
	const n = 5000
	st := policyHome(b, map[string]string{"tp.toml": "[module]\nmatch = \"tp-*\"\n[bus]\ndirect = true\n"})
	send := `(call $send (local.get $to) (i32.const 1) (i32.const 0) (i32.const 64) (i32.const 0) (i32.const 0) (i64.const -1))`
	recv := `(block (result i32)
		(local.set $h (call $recv (i32.const 1024) (i32.const 4096) (i64.const -1)))
		(if (i32.eqz (local.get $i)) (then (local.set $t (call $now))))
		(if (i32.eq (local.get $i) (i32.sub (local.get $n) (i32.const 1)))
			(then (drop (call $note (i64.sub (call $now) (local.get $t))))))
		(local.get $h))`
	type rig struct {
		k      *Kernel
		rm, sm *Module
	}
	mk := func(pol *policies.Store) rig {
		k := newKernel(b, Config{Policies: pol, AllowAll: pol == nil}) // off: no checks, said explicitly
		return rig{k, watModule(b, k, "tp-rcv", loopModule(1, "", "", recv)), watModule(b, k, "tp-snd", loopModule(1, "", "", send))}
	}
	off, on := mk(nil), mk(st)
	once := func(r rig) float64 {
		for len(benchNotes) > 0 {
			<-benchNotes
		}
		runPairOnce(b, r.k, r.rm, r.sm, nil, n)
		return float64(<-benchNotes) / (n - 1)
	}
	var sumOff, sumOn float64
	var ratios []float64
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var dOff, dOn float64
		if i%2 == 0 {
			dOff, dOn = once(off), once(on)
		} else {
			dOn, dOff = once(on), once(off)
		}
		sumOff, sumOn = sumOff+dOff, sumOn+dOn
		ratios = append(ratios, dOn/dOff)
		i++
	}
	sort.Float64s(ratios)
	b.ReportMetric(sumOff/float64(i), "off-ns/msg")
	b.ReportMetric(sumOn/float64(i), "on-ns/msg")
	b.ReportMetric(100*(ratios[len(ratios)/2]-1), "overhead-%")
}

// interleaved runs round(false) and round(true) in alternating order once per b.Loop turn,
// each handling batch messages, and reports the mean ns per message of each and the median
// pair's on/off difference as overhead-% (the median is robust against a batch that lost its
// CPU to another process).
func interleaved(b *testing.B, batch int, round func(on bool) time.Duration) {
	var tOff, tOn time.Duration
	var ratios []float64
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var dOff, dOn time.Duration
		if i%2 == 0 {
			dOff, dOn = round(false), round(true)
		} else {
			dOn, dOff = round(true), round(false)
		}
		tOff, tOn = tOff+dOff, tOn+dOn
		ratios = append(ratios, float64(dOn)/float64(dOff))
		i++
	}
	sort.Float64s(ratios)
	b.ReportMetric(float64(tOff.Nanoseconds())/float64(i*batch), "off-ns/msg")
	b.ReportMetric(float64(tOn.Nanoseconds())/float64(i*batch), "on-ns/msg")
	b.ReportMetric(100*(ratios[len(ratios)/2]-1), "overhead-%")
}
