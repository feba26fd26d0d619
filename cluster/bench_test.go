package cluster

import (
	"context"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/nats-io/nats.go"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/kernel"
)

// Benchmarks: two nodes in this process, each with its own kernel and its own embedded NATS
// server, routed to each other. Guests: pinger on node a, ponger on node b. Baselines: raw
// nats.go between this process (a client of a's server) and a second Go process (this test
// binary again, a client of b's server): the same two servers and route, no Orbital.
// docs/design/cluster.md ("How the benchmarks measure") says what each side does.

func TestMain(m *testing.M) {
	if v := os.Getenv(nodeEnv); v != "" {
		if err := benchNode(v); err != nil {
			fmt.Fprintln(os.Stderr, "node b:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// benchPeer is the baseline's responder in node b's process, a nats.go client of b's server
// (url, tok): it answers bench.echo with the request's payload, counts bench.flood, and
// answers bench.until (payload: a count) once it counted that many. Answering when the count
// is reached, rather than being polled for it, times the baseline's flood to the message, as
// the guests' receiver exiting times theirs.
func benchPeer(url, tok string) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Token(tok))
	if err != nil {
		return nil, err
	}
	var n, want atomic.Int64
	reached := make(chan struct{}, 1)
	nc.Subscribe("bench.echo", func(m *nats.Msg) { m.Respond(m.Data) })
	sub, _ := nc.Subscribe("bench.flood", func(*nats.Msg) {
		if n.Add(1) == want.Load() {
			select {
			case reached <- struct{}{}:
			default:
			}
		}
	})
	sub.SetPendingLimits(-1, -1)
	nc.Subscribe("bench.until", func(m *nats.Msg) {
		v, _ := strconv.ParseInt(string(m.Data), 10, 64)
		select {
		case <-reached: // a token of an earlier round whose count was reached before it asked
		default:
		}
		want.Store(v)
		if n.Load() < v {
			<-reached
		}
		m.Respond([]byte(strconv.FormatInt(n.Load(), 10)))
	})
	return nc, nc.Flush()
}

// benchPair is node a (a kernel and a node in this process) and node b (its own process,
// benchnode_test.go), routed; lines gets node a's guests' log lines.
type benchPair struct {
	ka     *kernel.Kernel
	a      *Node
	b      *remoteNode
	lines  chan string
	pinger *kernel.Module
}

func newBenchPair(b *testing.B, n int) *benchPair {
	p := &benchPair{lines: make(chan string, 64)}
	var err error
	p.ka, err = kernel.New(kernel.Config{AllowAll: true, Home: b.TempDir(), Log: func(_ bus.PID, _ string, _ int, line string) {
		if strings.HasPrefix(line, "pinger:") {
			p.lines <- line
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.ka.Close)
	ha := &fakeHost{b: p.ka.Bus(), memFree: 1 << 30, bound: map[bus.PID]string{}}
	p.a = startNode(b, "a", "127.0.0.1:0", "", ha)
	p.b = startRemoteNode(b, p.a, testenv.Module(b, "ponger"), floodWasm(b, "rcv", n))
	testenv.Eventually(b, func() bool { return upNodes(p.a, 2) }, 10*time.Second, "node b up")
	if p.pinger, err = p.ka.LoadFile(testenv.Module(b, "pinger")); err != nil {
		b.Fatal(err)
	}
	return p
}

// run starts ponger on b and pinger on a with args, and returns pinger's summary line.
func (p *benchPair) run(b *testing.B, args ...string) string {
	if l := p.b.do(b, "ponger"); l != "ok" {
		b.Fatalf("node b: ponger: %s", l)
	}
	defer p.b.do(b, "kill")
	cli, err := p.ka.Spawn(p.pinger, kernel.SpawnOptions{Args: append([]string{"-stop=false", "-wait", "20s"}, args...)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	info, err := cli.Wait(ctx)
	if err != nil || info.ExitCode != 0 {
		b.Fatalf("pinger: %v, exit %d: %s", err, info.ExitCode, info.Reason)
	}
	select {
	case l := <-p.lines:
		return l
	case <-time.After(5 * time.Second):
		b.Fatal("pinger printed no summary")
	}
	return ""
}

// peer is the baseline's requester: a nats.go client of a's server, once the responder's
// interest (benchPeer, in node b's process) crossed the route.
func (p *benchPair) peer(b *testing.B) *nats.Conn {
	nc, err := nats.Connect(p.a.Addr(), nats.Token(p.a.Token()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	testenv.Eventually(b, func() bool { _, err := nc.Request("bench.echo", nil, time.Second); return err == nil }, 10*time.Second, "the peer's interest to cross the route")
	return nc
}

// Each benchmark runs its sides in interleaved rounds (base, guests, base, guests, ...) and
// each side reports the median of its rounds: the machine's load drifts by 2-3x within a
// minute, and a ratio of medians of interleaved rounds follows the drift on both sides where
// one run of each does not. The sub-benchmarks only report what the rounds measured (their
// ns/op is the median round per message or per round trip); every round is logged.
const benchRounds = 5

// report adds a sub-benchmark name with the medians of figs (unit → one value per round;
// perOp's is reported as ns/op) and prints every round's figures.
func report(b *testing.B, name string, perOp string, figs map[string][]float64) {
	for _, unit := range slices.Sorted(maps.Keys(figs)) {
		fmt.Printf("%s %s %s by round: %.1f\n", b.Name(), name, unit, figs[unit])
	}
	b.Run(name, func(b *testing.B) {
		for unit, vs := range figs {
			if unit == perOp {
				unit = "ns/op"
			}
			b.ReportMetric(testenv.Median(slices.Clone(vs)), unit)
		}
	})
}

var reFig = regexp.MustCompile(`p50 ([0-9.]+)us p99 ([0-9.]+)us`)

// BenchmarkClusterRTT: request/reply round trips (64-byte payloads) between a guest on one
// node and a guest on another, p50 and p99 as the requester measures them, against raw
// nats.go request/reply between two Go processes through the same two servers.
func BenchmarkClusterRTT(b *testing.B) {
	const n = 2000
	p := newBenchPair(b, 1)
	nc := p.peer(b)
	payload := make([]byte, 64)
	base := map[string][]float64{}
	guests := map[string][]float64{}
	for range benchRounds {
		lat := make([]time.Duration, 0, n)
		for range n {
			t0 := time.Now()
			if _, err := nc.Request("bench.echo", payload, 5*time.Second); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		base["p50-us"] = append(base["p50-us"], float64(lat[n/2].Nanoseconds())/1e3)
		base["p99-us"] = append(base["p99-us"], float64(lat[n*99/100].Nanoseconds())/1e3)
		base["ns/rt"] = append(base["ns/rt"], float64(lat[n/2].Nanoseconds()))

		m := reFig.FindStringSubmatch(p.run(b, "-n", strconv.Itoa(n), "-size", "64"))
		if m == nil {
			b.Fatal("no p50/p99 in pinger's line")
		}
		p50, _ := strconv.ParseFloat(m[1], 64)
		p99, _ := strconv.ParseFloat(m[2], 64)
		guests["p50-us"] = append(guests["p50-us"], p50)
		guests["p99-us"] = append(guests["p99-us"], p99)
		guests["ns/rt"] = append(guests["ns/rt"], p50*1e3)
	}
	report(b, "base=nats-go", "ns/rt", base)
	report(b, "guests", "ns/rt", guests)
}

var reRate = regexp.MustCompile(`: ([0-9.]+) msg/s`)

// BenchmarkClusterPublish: a guest on one node publishes 64-byte messages that a guest on
// another counts (time until all are counted), against raw nats.go publishing to a subscriber
// in a second Go process through the same two servers (time until the peer counted them all).
func BenchmarkClusterPublish(b *testing.B) {
	const n = 50000
	p := newBenchPair(b, n)
	nc := p.peer(b)
	payload := make([]byte, 64)
	snd, err := p.ka.Load("flood-snd", "flood-snd.wasm", floodWasm(b, "snd", n))
	if err != nil {
		b.Fatal(err)
	}
	local, err := p.ka.Load("flood-rcv", "flood-rcv.wasm", floodWasm(b, "rcv", n))
	if err != nil {
		b.Fatal(err)
	}
	figs := map[string]map[string][]float64{}
	add := func(side string, rate float64) {
		if figs[side] == nil {
			figs[side] = map[string][]float64{}
		}
		figs[side]["msg/s"] = append(figs[side]["msg/s"], rate)
		figs[side]["ns/msg"] = append(figs[side]["ns/msg"], 1e9/rate)
	}
	sent := 0
	for range benchRounds {
		t0 := time.Now()
		for range n {
			if err := nc.Publish("bench.flood", payload); err != nil {
				b.Fatal(err)
			}
		}
		sent += n
		if _, err := nc.Request("bench.until", []byte(strconv.Itoa(sent)), 60*time.Second); err != nil {
			b.Fatal("the peer did not count the flood: ", err)
		}
		add("base=nats-go", float64(n)/time.Since(t0).Seconds())
		add("guests", floodRemote(b, p, snd, n))
		add("same-node-guests", flood(b, p.ka, snd, local, n)) // the bus's own cap
		m := reRate.FindStringSubmatch(p.run(b, "-flood", strconv.Itoa(n), "-size", "64"))
		if m == nil {
			b.Fatal("no rate in pinger's line")
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		add("go-guests", v) // pinger -flood and ponger: the Go SDK's cost on top
	}
	for _, side := range []string{"base=nats-go", "guests", "same-node-guests", "go-guests"} {
		report(b, side, "ns/msg", figs[side])
	}
}

// flood times n messages from snd to rcv, both on k (until rcv received them all and
// exited) and returns the rate in messages per second.
func flood(b *testing.B, k *kernel.Kernel, snd, rcv *kernel.Module, n int) float64 {
	r, err := k.Spawn(rcv, kernel.SpawnOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return timeFlood(b, k, snd, n, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		info, err := r.Wait(ctx)
		cancel()
		if err != nil || info.ExitCode != 0 {
			b.Fatalf("receiver: %v %s", err, info.Reason)
		}
	})
}

// floodRemote is flood with the receiver on node b.
func floodRemote(b *testing.B, p *benchPair, snd *kernel.Module, n int) float64 {
	if l := p.b.do(b, "rcv"); l != "ok" {
		b.Fatalf("node b: rcv: %s", l)
	}
	return timeFlood(b, p.ka, snd, n, func() {
		if l := p.b.line(b); l != "exited 0" {
			b.Fatalf("node b: the receiver %s", l)
		}
	})
}

// timeFlood waits for the receiver's interest on k, spawns snd there and times it until
// done returns (the receiver got all n).
func timeFlood(b *testing.B, k *kernel.Kernel, snd *kernel.Module, n int, done func()) float64 {
	testenv.Eventually(b, func() bool { return k.Bus().Subscribers("bench.flood") > 0 }, 10*time.Second, "the receiver's interest on node a")
	t0 := time.Now()
	if _, err := k.Spawn(snd, kernel.SpawnOptions{}); err != nil {
		b.Fatal(err)
	}
	done()
	rate := float64(n) / time.Since(t0).Seconds()
	testenv.Eventually(b, func() bool { return k.Bus().Subscribers("bench.flood") == 0 }, 10*time.Second, "the receiver's interest gone")
	return rate
}

// floodWasm is one of two minimal guests in WAT: "snd" publishes n 64-byte messages on
// bench.flood, again after ERR_FULL; "rcv" subscribes and exits once it received n.
func floodWasm(b *testing.B, which string, n int) []byte {
	loop := func(body string) string {
		return `(block $done (loop $l
			(br_if $done (i32.ge_u (local.get $i) (i32.const ` + strconv.Itoa(n) + `)))
			(if (i32.ge_s ` + body + ` (i32.const 0)) (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
			(br $l)))`
	}
	wat := `(module
		(import "orbital" "publish" (func $pub (param i32 i32 i32 i32 i32 i32) (result i32)))
		(memory (export "memory") 1)
		(data (i32.const 0) "bench.flood")
		(func (export "_start") (local $i i32) ` + loop(`(call $pub (i32.const 0) (i32.const 11) (i32.const 64) (i32.const 64) (i32.const 0) (i32.const 0))`) + `))`
	if which == "rcv" {
		wat = `(module
		(import "orbital" "subscribe" (func $sub (param i32 i32 i32) (result i32)))
		(import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
		(memory (export "memory") 1)
		(data (i32.const 0) "bench.flood")
		(func (export "_start") (local $i i32) (drop (call $sub (i32.const 0) (i32.const 11) (i32.const 0)))
			` + loop(`(call $recv (i32.const 1024) (i32.const 4096) (i64.const -1))`) + `))`
	}
	w, err := wasmtime.Wat2Wasm(wat)
	if err != nil {
		b.Fatal(err)
	}
	return w
}
