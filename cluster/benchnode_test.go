package cluster

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
)

// The benchmarks' node b runs in a process of its own: node a (and server a) in the test
// process, node b (and server b) in this one, as two `orbital up` would. The baseline's two
// Go processes are the same two: its requester is a nats.go client of server a in the test
// process, its responder (benchPeer) a nats.go client of server b in this one. So both sides
// cross the same two processes and the same route, each with its own Go runtime.
// The process is this test binary again (TestMain sees nodeEnv); the benchmark drives it
// over its standard input, one command a line, and it answers one line each:
//
//	ponger  spawn ponger                                      → ok
//	kill    kill the last ponger (and wait for its end)       → ok
//	rcv     spawn the flood receiver                          → ok, then "exited CODE" at its end
//
// It first prints "ready ADDR TOKEN" (its server's client address and token) and stops when
// its standard input closes.

const (
	nodeEnv   = "ORBITAL_CLUSTER_BENCH_NODE"   // JOIN-URL: run as the benchmarks' node b
	pongerEnv = "ORBITAL_CLUSTER_BENCH_PONGER" // the ponger module's path
	rcvEnv    = "ORBITAL_CLUSTER_BENCH_RCV"    // the flood receiver's wasm file
)

// benchNode is node b's process.
func benchNode(join string) error {
	home, err := os.MkdirTemp("", "orbital-bench-b")
	if err != nil {
		return err
	}
	defer os.RemoveAll(home)
	k, err := kernel.New(kernel.Config{AllowAll: true, Home: filepath.Join(home, "k")})
	if err != nil {
		return err
	}
	defer k.Close()
	h := &fakeHost{b: k.Bus(), memFree: 1 << 30, bound: map[bus.PID]string{}}
	n, err := New(Config{Name: "b", Listen: "127.0.0.1:0", Join: join, Host: h, Home: filepath.Join(home, "n"), Log: func(string, ...any) {}})
	if err != nil {
		return err
	}
	if err := n.Start(context.Background()); err != nil {
		return err
	}
	defer n.Close()
	ponger, err := k.LoadFile(os.Getenv(pongerEnv))
	if err != nil {
		return err
	}
	w, err := os.ReadFile(os.Getenv(rcvEnv))
	if err != nil {
		return err
	}
	rcv, err := k.Load("flood-rcv", "flood-rcv.wasm", w)
	if err != nil {
		return err
	}
	nc, err := benchPeer(n.Addr(), n.Token())
	if err != nil {
		return err
	}
	defer nc.Close()
	fmt.Println("ready", n.Addr(), n.Token())
	var srv *kernel.Process
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "ponger":
			if srv, err = k.Spawn(ponger, kernel.SpawnOptions{}); err != nil {
				return err
			}
			fmt.Println("ok")
		case "kill":
			k.Kill(srv.PID(), true)
			fmt.Println("ok")
		case "rcv":
			r, err := k.Spawn(rcv, kernel.SpawnOptions{})
			if err != nil {
				return err
			}
			fmt.Println("ok")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			info, err := r.Wait(ctx)
			cancel()
			if err != nil {
				return err
			}
			fmt.Println("exited", info.ExitCode)
		default:
			return fmt.Errorf("unknown command %q", in.Text())
		}
	}
	return nil
}

// remoteNode is the benchmark's handle on node b's process.
type remoteNode struct {
	in   io.WriteCloser
	out  *bufio.Reader
	addr string
	tok  string
}

// startRemoteNode starts node b's process, joined to a, with the ponger module and the
// flood receiver.
func startRemoteNode(b *testing.B, a *Node, ponger string, rcv []byte) *remoteNode {
	f := filepath.Join(b.TempDir(), "flood-rcv.wasm")
	if err := os.WriteFile(f, rcv, 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), nodeEnv+"="+JoinURL(strings.TrimPrefix(a.Addr(), "nats://"), a.Token()), pongerEnv+"="+ponger, rcvEnv+"="+f)
	cmd.Stderr = os.Stderr
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(); cmd.Wait() })
	r := &remoteNode{in: in, out: bufio.NewReader(out)}
	l, _ := r.out.ReadString('\n')
	f2 := strings.Fields(l)
	if len(f2) != 3 || f2[0] != "ready" {
		b.Fatalf("node b: %q", l)
	}
	r.addr, r.tok = f2[1], f2[2]
	return r
}

// do sends node b's process a command and returns its answer.
func (r *remoteNode) do(b *testing.B, cmd string) string {
	if _, err := fmt.Fprintln(r.in, cmd); err != nil {
		b.Fatal(err)
	}
	return r.line(b)
}

// line reads node b's next answer.
func (r *remoteNode) line(b *testing.B) string {
	l, err := r.out.ReadString('\n')
	if err != nil {
		b.Fatalf("node b: %v", err)
	}
	return strings.TrimSpace(l)
}
