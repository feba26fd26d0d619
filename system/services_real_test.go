package system

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/kernel"
)

// Services by name with a real module, installed as a service and called through the
// instance: the WAT reactor of kernel/testdata/reactor.wat (Go services, a reactor and a command
// module looping in sdk.Serve, are called through the binary: cmd/orbital/services_e2e_test.go).

// running lists the pids of name's live processes.
func running(in *Instance, name string) []bus.PID {
	var out []bus.PID
	for _, info := range in.k.List() {
		if info.Name == name && !info.State.Done() {
			out = append(out, info.PID)
		}
	}
	return out
}

// reactorWasm is the test reactor service, compiled from kernel/testdata/reactor.wat.
func reactorWasm(t testing.TB) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "kernel", "testdata", "reactor.wat"))
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := wasmtime.Wat2Wasm(string(src))
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

// TestServicesReactor: a reactor service through the instance: started by the first call,
// calls spread over its two instances, its failures, a trap (the caller gets ERR_CRASHED, the
// instance restarts), refusals, and the idle stop.
func TestServicesReactor(t *testing.T) {
	home := testenv.Home(t)
	wasm := reactorWasm(t)
	installWasm(t, home, wasm, "rsvc", "service", "instances = 2\nidle_timeout = \"1s\"\nrestart = \"on-failure\"\n")
	installWasm(t, home, wasm, "notservice", "app", "")
	in, _ := start(t, Config{Home: home})
	ctx := context.Background()
	call := func(name, payload string, timeout time.Duration) (string, error) {
		rep, err := in.CallName(ctx, name, []byte(payload), timeout)
		return string(rep.Payload), err
	}
	if len(running(in, "rsvc")) != 0 {
		t.Fatal("the service runs before any call")
	}
	if got, err := call("rsvc.echo", "hi", 10*time.Second); err != nil || got != "hi" {
		t.Fatalf("the first call: %q, %v", got, err)
	}
	testenv.Eventually(t, func() bool { return len(running(in, "rsvc")) == 2 }, 10*time.Second, "two instances of rsvc")
	pids := map[string]bool{}
	for range 4 {
		got, err := call("rsvc.pid", "", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		pids[got] = true
	}
	if len(pids) != 2 {
		t.Fatalf("4 calls in a row reached %d instances, want both", len(pids))
	}
	for _, tc := range []struct {
		name, payload string
		want          error
		says          string
	}{
		{"rsvc.fail", "", kernel.ErrServiceFailed, "bad input"},
		{"rsvc.trap", "", kernel.ErrServiceCrashed, "unreachable"},
		{"nosuch.echo", "", kernel.ErrNoService, "not installed"},
		{"notservice.echo", "", kernel.ErrNoService, "not a service"},
		{"rsvc.echo", strings.Repeat("x", 2<<20), bus.ErrTooBig, "over the maximum"},
		{"Bad.echo", "", bus.ErrInvalid, "module name"},
	} {
		if _, err := call(tc.name, tc.payload, 5*time.Second); !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v; want %v saying %q", tc.name, err, tc.want, tc.says)
		}
	}
	testenv.Eventually(t, func() bool { return len(running(in, "rsvc")) == 2 }, 10*time.Second, "rsvc restarted after the trap")
	if got, err := call("rsvc.echo", "back", 5*time.Second); err != nil || got != "back" {
		t.Fatalf("after the trap: %q, %v", got, err)
	}
	testenv.Eventually(t, func() bool { return len(running(in, "rsvc")) == 0 }, 15*time.Second, "rsvc stopped after 1 s without calls")
	if got, err := call("rsvc.echo", "again", 10*time.Second); err != nil || got != "again" {
		t.Fatalf("a call after the idle stop: %q, %v", got, err)
	}
}
