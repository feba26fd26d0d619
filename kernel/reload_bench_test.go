package kernel

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
)

// BenchmarkReload measures the pause of a hot reload of a Go module (reloadprobe <->
// reloadprobe2, state handed over with sdk.OnReload): a pinger keeps one direct message in
// flight to the process, and the pause is the time from the old code's last answer to the new
// code's first. Its baseline is a fresh spawn of the same module, its compiled code cached:
// from Spawn to the answer to a ping queued right after it. Both report that figure as ns/op.
func BenchmarkReload(b *testing.B) {
	k := newKernel(b, Config{AllowAll: true, Home: testenv.Home(b), ReloadGrace: time.Millisecond})
	v1 := loadModule(b, k, "reloadprobe")
	v2 := loadModule(b, k, "reloadprobe2")
	quiet := SpawnOptions{Stdout: os.DevNull, Stderr: os.DevNull}
	pg := newPinger(b, k)

	b.Run("base=spawn-cached", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			start := time.Now()
			p, err := k.Spawn(v1, quiet)
			if err != nil {
				b.Fatal(err)
			}
			pg.ping(b, p.PID())
			total += time.Since(start)
			k.Kill(p.PID(), true)
			<-p.Done()
			k.Forget(p.PID())
		}
		b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/op")
	})
	b.Run("reload", func(b *testing.B) {
		p, err := k.Spawn(v1, quiet)
		if err != nil {
			b.Fatal(err)
		}
		defer k.Kill(p.PID(), true)
		pg.ping(b, p.PID())
		next, want := v2, "v2 "
		var total time.Duration
		for b.Loop() {
			pause := make(chan time.Duration, 1)
			stop := make(chan struct{})
			go func() { pause <- pg.pause(b, p.PID(), want, stop) }()
			res, err := k.Reload(context.Background(), p.PID(), next, ReloadOptions{})
			close(stop)
			if err != nil || res.Outcome != ReloadCommitted || !res.Restored {
				b.Fatalf("reload: %+v, %v", res, err)
			}
			total += <-pause
			if next == v2 {
				next, want = v1, "v1 "
			} else {
				next, want = v2, "v2 "
			}
		}
		b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/op")
	})
}

// pinger sends "ping" to a probe from an inbox of its own and waits for the answer.
type pinger struct {
	k  *Kernel
	in *bus.Inbox
}

func newPinger(t testing.TB, k *Kernel) *pinger {
	in, err := k.Bus().Attach(1<<19+1, bus.InboxLimits{})
	if err != nil {
		t.Fatal(err)
	}
	return &pinger{k: k, in: in}
}

// ping sends one ping to pid and returns the answer ("VERSION COUNT").
func (pg *pinger) ping(t testing.TB, pid bus.PID) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pg.k.Bus().Send(ctx, bus.Message{Kind: bus.KindDirect, From: pg.in.PID(), To: pid, Payload: []byte("ping")}); err != nil {
		t.Fatalf("ping %d: %v", pid, err)
	}
	m, err := pg.in.Recv(ctx)
	if err != nil {
		t.Fatalf("no answer from %d: %v", pid, err)
	}
	return string(m.Payload)
}

// pause pings pid back to back until an answer starts with want (after stop, at the latest
// the next answer must) and returns the time from the answer before it to that answer.
func (pg *pinger) pause(t testing.TB, pid bus.PID, want string, stop <-chan struct{}) time.Duration {
	last := time.Now()
	for {
		r := pg.ping(t, pid)
		now := time.Now()
		if strings.HasPrefix(r, want) {
			return now.Sub(last)
		}
		select {
		case <-stop:
			t.Fatalf("the reload is over and %d still answers %q", pid, r)
		default:
		}
		last = now
	}
}

// loadModule loads modules/<name> built to WASM.
func loadModule(t testing.TB, k *Kernel, name string) *Module {
	t.Helper()
	m, err := k.LoadFile(testenv.Module(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
