package kernel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/policies"
)

// Services by name, the kernel's part: a reactor's handler (serve.go), the call and
// reply_error host functions (host_call.go) and CallProcess (service.go). The dispatcher that
// picks a process is system's; here a table maps names to pids.

// pidServices is a Services that sends every call of a name to one pid.
type pidServices struct {
	k    *Kernel
	mu   sync.Mutex
	pids map[string]bus.PID
}

func (s *pidServices) set(name string, pid bus.PID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pids == nil {
		s.pids = map[string]bus.PID{}
	}
	s.pids[name] = pid
}

func (s *pidServices) Call(ctx context.Context, c ServiceCall) (bus.Message, error) {
	s.mu.Lock()
	pid, ok := s.pids[c.Service]
	s.mu.Unlock()
	if !ok {
		return bus.Message{}, fmt.Errorf("%w: %s", ErrNoService, c.Service)
	}
	return s.k.CallProcess(ctx, pid, c)
}

// reactorWAT is testdata/reactor.wat, a reactor service whose handler acts on the method's
// first letter.
var reactorWAT = func() string {
	b, err := os.ReadFile("testdata/reactor.wat")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// callerWAT calls name with payload "hello" (or plen bytes of zeros) and exits with -code for
// an error, else 100 + the reply's flags, after logging the reply's payload.
func callerWAT(name string, plen int, timeout time.Duration) string {
	payload := `(data (i32.const 256) "hello")`
	if plen < 0 {
		plen = 5
	} else {
		payload = ""
	}
	pages := 1 + (256+plen)/65536
	return fmt.Sprintf(`(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "orbital" "call" (func $call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") %d)
  (data (i32.const 0) %q)
  %s
  (func (export "_start") (local $r i32)
    (local.set $r (call $call (i32.const 0) (i32.const %d) (i32.const 256) (i32.const %d) (i32.const 1024) (i32.const 4096) (i64.const %d)))
    (if (i32.lt_s (local.get $r) (i32.const 0)) (then (call $exit (i32.sub (i32.const 0) (local.get $r)))))
    (drop (call $log (i32.const 1) (i32.add (i32.const 1072) (i32.load (i32.const 1040))) (i32.load (i32.const 1044))))
    (call $exit (i32.add (i32.const 100) (i32.load (i32.const 1052))))))`, pages, name, payload, len(name), plen, timeout.Nanoseconds())
}

func serviceKernel(t testing.TB, cfg Config) (*Kernel, *pidServices, *logSink) {
	t.Helper()
	svcs := &pidServices{}
	sink := &logSink{}
	cfg.Services, cfg.Log = svcs, sink.log
	k := newKernel(t, cfg)
	svcs.k = k
	return k, svcs, sink
}

func TestReactorService(t *testing.T) {
	k, _, _ := serviceKernel(t, Config{AllowAll: true})
	p := spawn(t, k, watModule(t, k, "svc", reactorWAT), SpawnOptions{})
	ctx := context.Background()
	call := func(method, payload string) (bus.Message, error) {
		return k.CallProcess(ctx, p.PID(), ServiceCall{Service: "svc", Method: method, Payload: []byte(payload), Timeout: 10 * time.Second})
	}
	for _, tc := range []struct {
		method, want, fails string
	}{
		{method: "echo", want: "ping"},
		{method: "recv", want: "ping"},
		{method: "fail", fails: "bad input"},
		{method: "negative", fails: "orbital_service_handle answered ERR_INVALID"},
		{method: "outside", fails: "outside its memory"},
	} {
		rep, err := call(tc.method, "ping")
		var se *ServiceError
		switch {
		case tc.fails == "" && (err != nil || string(rep.Payload) != tc.want):
			t.Errorf("%s: %q, %v; want %q", tc.method, rep.Payload, err, tc.want)
		case tc.fails != "" && (!errors.As(err, &se) || !errors.Is(err, ErrServiceFailed) || !strings.Contains(se.Msg, tc.fails)):
			t.Errorf("%s: %v; want a failure saying %q", tc.method, err, tc.fails)
		}
	}
	if _, err := call("bad-gather", "ping"); !errors.Is(err, ErrServiceFailed) || !strings.Contains(err.Error(), "gather list, outside its memory") {
		t.Errorf("a gather list outside memory: %v", err)
	}
	// Gathered, into a buffer the caller lends (when it fits), and answered by reply itself
	// with a region.
	for _, lent := range []int{64, 2} {
		buf := make([]byte, 0, lent)
		rep, err := k.CallProcess(ctx, p.PID(), ServiceCall{Service: "svc", Method: "gather", Payload: []byte("ping"), Timeout: 10 * time.Second, ReplyBuf: buf})
		if err != nil || string(rep.Payload) != "badping" || (lent >= 7) != (&rep.Payload[0] == &buf[:1][0]) {
			t.Errorf("gather, %d bytes lent: %q %v", lent, rep.Payload, err)
		}
	}
	const host = bus.PID(1 << 27) // an endpoint of the host's, to hold the reply's region
	if _, err := k.Bus().Attach(host, bus.InboxLimits{}); err != nil {
		t.Fatal(err)
	}
	late := k.Bus().Stats().LateReply
	rep, err := k.CallProcess(ctx, p.PID(), ServiceCall{From: host, Service: "svc", Method: "answer", Payload: []byte("ping"), Timeout: 10 * time.Second})
	if err != nil || string(rep.Payload) != "ping" || len(rep.Regions) != 1 {
		t.Fatalf("answered by reply: %q %v %v", rep.Payload, rep.Regions, err)
	}
	if r, _, err := k.Bus().Region(host, rep.Regions[0].Handle); err != nil || string(r.Bytes()) != "ping" {
		t.Errorf("the reply's region: %v", err)
	}
	if _, err := call("pid", ""); err != nil || k.Bus().Stats().LateReply != late {
		t.Errorf("after answering itself, the handler's result was taken as a second answer (%v)", err)
	}
	if _, err := call("echo", strings.Repeat("x", 70000)); !errors.Is(err, ErrServiceFailed) || !strings.Contains(err.Error(), "gave no buffer") {
		t.Errorf("a request larger than its buffer: %v", err)
	}
	rep, err = call("pid", "")
	if err != nil || len(rep.Payload) != 4 || bus.PID(rep.Payload[0]) != p.PID() {
		t.Fatalf("pid: %v %v", rep.Payload, err)
	}
	testenv.Eventually(t, func() bool { return p.Info().State == Blocked }, 5*time.Second, "the service waiting for calls (resident)")
	k.Kill(p.PID(), false)
	if in := wait(t, p, 5*time.Second); in.State != Exited || in.ExitCode != 0 {
		t.Fatalf("after a quit request: %v %d %s", in.State, in.ExitCode, in.Reason)
	}
}

// TestReactorServiceTrap: a trap in the handler ends the process; its caller gets
// ERR_CRASHED with the reason.
func TestReactorServiceTrap(t *testing.T) {
	k, _, _ := serviceKernel(t, Config{AllowAll: true})
	p := spawn(t, k, watModule(t, k, "svc", reactorWAT), SpawnOptions{})
	_, err := k.CallProcess(context.Background(), p.PID(), ServiceCall{Service: "svc", Method: "trap", Timeout: time.Minute})
	if !errors.Is(err, ErrServiceCrashed) || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("a call whose handler traps: %v", err)
	}
	if in := wait(t, p, 5*time.Second); in.State != Crashed {
		t.Fatalf("after the trap: %v %s", in.State, in.Reason)
	}
	if _, err := k.CallProcess(context.Background(), p.PID(), ServiceCall{Service: "svc", Method: "echo", Timeout: time.Minute}); !errors.Is(err, bus.ErrNotFound) {
		t.Fatalf("a call of the ended process: %v", err)
	}
}

// TestReactorServiceDeadline: a handler that never returns is no reply within the caller's
// timeout; it ends at its deadline (crashed), and the calls queued behind it end then, with
// the reason, not at their own timeouts.
func TestReactorServiceDeadline(t *testing.T) {
	k, _, _ := serviceKernel(t, Config{AllowAll: true})
	p := spawn(t, k, watModule(t, k, "svc", reactorWAT), SpawnOptions{Limits: Limits{Deadline: 2 * time.Second}})
	_, err := k.CallProcess(context.Background(), p.PID(), ServiceCall{Service: "svc", Method: "spin", Timeout: 50 * time.Millisecond})
	if !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("a handler that never returns: %v, want a timeout", err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := k.CallProcess(context.Background(), p.PID(), ServiceCall{Service: "svc", Method: "echo", Timeout: time.Minute})
			errs <- err
		}()
	}
	testenv.Eventually(t, func() bool { return p.Info().Inbox.Depth == 2 }, 2*time.Second, "two calls queued behind the spinning handler")
	for range 2 {
		if err := <-errs; !errors.Is(err, ErrServiceCrashed) || !strings.Contains(err.Error(), "deadline") {
			t.Fatalf("a call queued behind the spinning handler: %v", err)
		}
	}
	if in := wait(t, p, 10*time.Second); in.State != Crashed || !strings.Contains(in.Reason, "deadline") {
		t.Fatalf("the spinning handler: %v %s", in.State, in.Reason)
	}
}

// TestReactorServiceStorm: many callers against an instance with an inbox of 8: the calls that
// find it full are refused at once with ErrFull; every other one is answered; nothing queues
// beyond the inbox.
func TestReactorServiceStorm(t *testing.T) {
	k, _, _ := serviceKernel(t, Config{AllowAll: true})
	p := spawn(t, k, watModule(t, k, "svc", reactorWAT), SpawnOptions{Limits: Limits{Inbox: bus.InboxLimits{MaxMsgs: 8}}})
	const callers = 64
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload := fmt.Sprint(i)
			rep, err := k.CallProcess(context.Background(), p.PID(), ServiceCall{Service: "svc", Method: "work", Payload: []byte(payload), Timeout: time.Minute})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && string(rep.Payload) == payload:
				counts["ok"]++
			case errors.Is(err, bus.ErrFull):
				counts["full"]++
			default:
				counts[fmt.Sprint(err)]++
			}
			if d := p.Info().Inbox.Depth; d > 9 {
				counts[fmt.Sprintf("inbox depth %d", d)]++
			}
		}()
	}
	wg.Wait()
	if counts["ok"]+counts["full"] != callers || counts["ok"] == 0 || counts["full"] == 0 {
		t.Fatalf("64 callers against an inbox of 8: %v", counts)
	}
}

// TestCallHostFunction: the call host function end to end between two guests, and its refusals.
func TestCallHostFunction(t *testing.T) {
	k, svcs, sink := serviceKernel(t, Config{AllowAll: true, Bus: bus.New(bus.Config{MaxPayload: 4096})})
	p := spawn(t, k, watModule(t, k, "svc", reactorWAT), SpawnOptions{})
	defer k.Kill(p.PID(), true)
	svcs.set("svc", p.PID())
	for _, tc := range []struct {
		name    string
		plen    int
		timeout time.Duration
		exit    int
	}{
		{"svc.echo", -1, time.Second, 100},
		{"svc.fail", -1, time.Second, 101},
		{"svc", -1, time.Second, 100},
		{"nosuch.echo", -1, time.Second, 5},
		{"Svc.echo", -1, time.Second, 1},
		{"svc.bad method", -1, time.Second, 1},
		{"svc.echo", 5000, time.Second, 8},
		{"svc.echo", -1, 0, 3},
		{"svc.spin", -1, 20 * time.Millisecond, 3},
	} {
		c := spawn(t, k, watModule(t, k, "caller", callerWAT(tc.name, tc.plen, tc.timeout)), SpawnOptions{})
		if in := wait(t, c, 10*time.Second); in.ExitCode != tc.exit {
			t.Errorf("call %q (%d bytes, timeout %v): exit %d (%s), want %d", tc.name, tc.plen, tc.timeout, in.ExitCode, in.Reason, tc.exit)
		}
		if tc.name == "svc.spin" {
			break // the service is busy for good now
		}
	}
	if !strings.Contains(sink.String(), "caller: hello") || !strings.Contains(sink.String(), "caller: bad input") {
		t.Fatalf("the replies' payloads are not in the log:\n%s", sink)
	}
}

// TestCallDoor: calling a service needs [bus] call in the caller's policy; a refusal is
// ERR_DENIED and audited.
func TestCallDoor(t *testing.T) {
	st := policyHome(t, map[string]string{
		"caller.toml": "[module]\nmatch = \"caller\"\n[bus]\ncall = [\"svc\"]\n",
		"svc.toml":    "[module]\nmatch = \"svc\"\n",
	})
	k, svcs, _ := serviceKernel(t, Config{Policies: st})
	p := spawn(t, k, watModule(t, k, "svc", reactorWAT), SpawnOptions{})
	defer k.Kill(p.PID(), true)
	svcs.set("svc", p.PID())
	svcs.set("other", p.PID())
	for name, exit := range map[string]int{"svc.echo": 100, "other.echo": 6} {
		c := spawn(t, k, watModule(t, k, "caller", callerWAT(name, -1, time.Second)), SpawnOptions{})
		if in := wait(t, c, 10*time.Second); in.ExitCode != exit {
			t.Errorf("call %q: exit %d (%s), want %d", name, in.ExitCode, in.Reason, exit)
		}
	}
	testenv.Eventually(t, func() bool { return strings.Contains(auditLines(t, st), "caller call other") }, 5*time.Second,
		"the refusal in the audit log")
}

// commandServiceWAT answers calls from recv: echo with reply, "quiet" never, anything else
// with reply_error.
const commandServiceWAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (import "orbital" "reply" (func $reply (param i64 i32 i32 i32 i32) (result i32)))
  (import "orbital" "reply_error" (func $fail (param i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "no such method")
  (func (export "_start") (local $r i32) (local $m i32)
    (loop $l
      (local.set $r (call $recv (i32.const 1024) (i32.const 8192) (i64.const -1)))
      (if (i32.lt_s (local.get $r) (i32.const 0)) (then (call $exit (i32.const 0))))
      (if (i32.eq (i32.load (i32.const 1024)) (i32.const 17)) (then (call $exit (i32.const 0))))
      (local.set $m (i32.load8_u (i32.const 1072)))
      (if (i32.eq (local.get $m) (i32.const 101)) (then
        (drop (call $reply (i64.load (i32.const 1032))
          (i32.add (i32.const 1072) (i32.load (i32.const 1040))) (i32.load (i32.const 1044)) (i32.const 0) (i32.const 0)))))
      (if (i32.and (i32.ne (local.get $m) (i32.const 101)) (i32.ne (local.get $m) (i32.const 113))) (then
        (drop (call $fail (i64.load (i32.const 1032)) (i32.const 64) (i32.const 14)))))
      (br $l))))`

// TestCommandService: a command module receives calls in recv (kind 5) and answers with reply
// or reply_error; one that never answers is a timeout for its caller.
func TestCommandService(t *testing.T) {
	k, svcs, sink := serviceKernel(t, Config{AllowAll: true})
	p := spawn(t, k, watModule(t, k, "cmdsvc", commandServiceWAT), SpawnOptions{})
	svcs.set("cmdsvc", p.PID())
	for name, exit := range map[string]int{"cmdsvc.echo": 100, "cmdsvc.what": 101, "cmdsvc.quiet": 3} {
		c := spawn(t, k, watModule(t, k, "caller", callerWAT(name, -1, 200*time.Millisecond)), SpawnOptions{})
		if in := wait(t, c, 10*time.Second); in.ExitCode != exit {
			t.Errorf("call %q: exit %d (%s), want %d", name, in.ExitCode, in.Reason, exit)
		}
	}
	if !strings.Contains(sink.String(), "caller: no such method") {
		t.Fatalf("reply_error's message is not the caller's payload:\n%s", sink)
	}
	k.Kill(p.PID(), false)
	if in := wait(t, p, 5*time.Second); in.ExitCode != 0 {
		t.Fatalf("after a quit request: %d %s", in.ExitCode, in.Reason)
	}
}

// TestCallAsked: a call policy refuses is put to the Asker, as a fetch is: allowed once, the
// call goes through; denied, it is ERR_DENIED.
func TestCallAsked(t *testing.T) {
	for _, tc := range []struct {
		answer Answer
		exit   int
	}{{AnswerOnce, 100}, {AnswerDeny, 6}} {
		st := policyHome(t, map[string]string{"svc.toml": "[module]\nmatch = \"svc\"\n"})
		a := &fakeAsker{st: st, answer: tc.answer}
		k, svcs, _ := serviceKernel(t, Config{Policies: st, Asker: a})
		p := spawn(t, k, watModule(t, k, "svc", reactorWAT), SpawnOptions{})
		svcs.set("svc", p.PID())
		c := spawn(t, k, watModule(t, k, "caller", callerWAT("svc.echo", -1, time.Second)), SpawnOptions{})
		if in := wait(t, c, 10*time.Second); in.ExitCode != tc.exit {
			t.Errorf("answer %d: exit %d (%s), want %d", tc.answer, in.ExitCode, in.Reason, tc.exit)
		}
		if a.count() != 1 || a.asked[0].Op != policies.OpCall || a.asked[0].Object != "svc" {
			t.Errorf("answer %d: asked %+v", tc.answer, a.asked)
		}
		k.Kill(p.PID(), true)
	}
}
