package kernel

import (
	"context"
	"fmt"
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
			pg.mustPing(b, p.PID())
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
		pg.mustPing(b, p.PID())
		next, want := v2, "v2 "
		var total time.Duration
		for b.Loop() {
			type measured struct {
				d   time.Duration
				err error
			}
			pause := make(chan measured, 1)
			stop := make(chan struct{})
			go func() {
				d, err := pg.pause(p.PID(), want, stop)
				pause <- measured{d, err}
			}()
			res, err := k.Reload(context.Background(), p.PID(), next, ReloadOptions{})
			close(stop)
			m := <-pause
			if err != nil || res.Outcome != ReloadCommitted || !res.Restored || m.err != nil {
				b.Fatalf("reload: %+v, %v; pause: %v", res, err, m.err)
			}
			total += m.d
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
func (pg *pinger) ping(pid bus.PID) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pg.k.Bus().Send(ctx, bus.Message{Kind: bus.KindDirect, From: pg.in.PID(), To: pid, Payload: []byte("ping")}); err != nil {
		return "", fmt.Errorf("ping %d: %w", pid, err)
	}
	m, err := pg.in.Recv(ctx)
	if err != nil {
		return "", fmt.Errorf("no answer from %d: %w", pid, err)
	}
	return string(m.Payload), nil
}

// mustPing is ping on the benchmark's goroutine.
func (pg *pinger) mustPing(t testing.TB, pid bus.PID) string {
	r, err := pg.ping(pid)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pause pings pid back to back until an answer starts with want and returns the time from
// the answer before it to that answer. Once stop is closed (the reload is final) the first
// answer sent after it must be the new code's. It runs on a goroutine of its own, so it
// returns errors rather than failing the benchmark.
func (pg *pinger) pause(pid bus.PID, want string, stop <-chan struct{}) (time.Duration, error) {
	last := time.Now()
	for {
		stopped := false
		select {
		case <-stop:
			stopped = true
		default:
		}
		r, err := pg.ping(pid)
		if err != nil {
			return 0, err
		}
		now := time.Now()
		if strings.HasPrefix(r, want) {
			return now.Sub(last), nil
		}
		if stopped {
			return 0, fmt.Errorf("the reload is over and %d still answers %q", pid, r)
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
