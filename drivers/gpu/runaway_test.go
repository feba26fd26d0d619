package gpu_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers"
	"github.com/orbital/orbital/drivers/drivertest"
	"github.com/orbital/orbital/drivers/gpu"
	"github.com/orbital/orbital/internal/testenv"
)

// forever loops as long as its uniform says so: no compiler can prove it ends. llvmpipe stops
// any shader's loops after 65535 iterations in all, so a runaway there is a loop in each of
// billions of invocations (foreverGroups): hours of work.
const forever = `layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer B { uint v[]; };
uniform uint go;
void main() { while (go == 1u) { atomicAdd(v[0], 1u); } }`

var foreverGroups = [3]int{65535, 65535, 1}

// workers lists the driver's worker processes (its children).
func workers(t testing.TB, d *drivers.Driver) []int {
	t.Helper()
	parent := d.Info().OSPID
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[0] != "Z" && f[1] == strconv.Itoa(parent) {
			out = append(out, pid)
		}
	}
	return out
}

// TestRunawayShaderIsAbandoned runs a shader that never ends beside another process's work:
// the runaway dispatch is abandoned within its budget (its worker killed, the refusal
// audited), the other process's dispatches go on, and the runaway process's next work runs in
// a fresh context with its shaders compiled again and its buffers lost.
func TestRunawayShaderIsAbandoned(t *testing.T) {
	var mu sync.Mutex
	var audits []string
	h := drivertest.New(t, func(c *drivers.Config) {
		c.Audit = func(driver string, pid bus.PID, op, object, reason string) {
			mu.Lock()
			audits = append(audits, fmt.Sprintf("%d %s %s: %s", uint32(pid), op, object, reason))
			mu.Unlock()
		}
	})
	const budget = 400 * time.Millisecond
	d := h.Start(gpuSpec(t, "--budget", budget.String(), "--first-run", "600ms", "--rate", "5000"))
	bad, good := newClient(t, h, drivertest.ClientPID), newClient(t, h, 2)
	loop := bad.compile(forever)
	var buf gpu.HandleReply
	bad.ask(gpu.TopicBuffer, gpu.BufferRequest{Size: 64}, &buf)
	scale := good.compile(scaleShader)
	in, out := good.region(floats(1, 2, 3, 4)), good.region(make([]byte, 16))

	// The good process dispatches in a loop while the runaway one runs.
	stop := make(chan struct{})
	goodRuns := make(chan int, 1)
	go func() {
		n := 0
		defer func() { goodRuns <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			var r gpu.JobReply
			good.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: scale, Groups: [3]int{1, 1, 1},
				Buffers:  []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Region: ptr(0)}, Access: gpu.AccessRead}, {Binding: 1, Ref: gpu.Ref{Region: ptr(1)}, Access: gpu.AccessWrite}},
				Uniforms: map[string][]float64{"scale": {2}}}, &r,
				bus.Attachment{Handle: in, Rights: bus.RightRead}, bus.Attachment{Handle: out, Rights: bus.RightWrite})
			if r.Code != 0 {
				t.Errorf("the other process's dispatch failed: %+v", r)
				return
			}
			n++
		}
	}()
	start := time.Now()
	var r gpu.JobReply
	bad.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: loop, Groups: foreverGroups,
		Buffers: []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Buffer: buf.Buffer}}}, Uniforms: map[string][]float64{"go": {1}}}, &r)
	took := time.Since(start)
	close(stop)
	n := <-goodRuns
	if r.Code != gpu.CodeBudget || !strings.Contains(r.Error, "time budget") {
		t.Fatalf("runaway dispatch: %+v", r)
	}
	// Budget plus the first run's allowance, plus slack for a loaded machine.
	if took > budget+600*time.Millisecond+2*time.Second {
		t.Errorf("abandoned after %v", took)
	}
	if n == 0 {
		t.Errorf("the other process ran no dispatch while the runaway one ran")
	}
	t.Logf("abandoned after %v; the other process ran %d dispatches meanwhile", took, n)
	mu.Lock()
	if len(audits) != 1 || !strings.Contains(audits[0], "1 gpu.budget gpu.compute") {
		t.Errorf("audits: %q", audits)
	}
	mu.Unlock()

	// The same shader handle still works (compiled again in a new context); the buffer is lost.
	r = gpu.JobReply{}
	bad.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: loop, Groups: [3]int{1, 1, 1},
		Buffers: []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Buffer: buf.Buffer}}}, Uniforms: map[string][]float64{"go": {0}}}, &r)
	if r.Code != gpu.CodeLost {
		t.Fatalf("dispatch on a lost buffer: %+v", r)
	}
	var buf2 gpu.HandleReply
	bad.ask(gpu.TopicBuffer, gpu.BufferRequest{Size: 64}, &buf2)
	if buf2.Code != 0 || buf2.Buffer == buf.Buffer {
		t.Fatalf("a new buffer: %+v", buf2)
	}
	r = gpu.JobReply{}
	bad.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: loop, Groups: [3]int{1, 1, 1},
		Buffers: []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Buffer: buf2.Buffer}}}, Uniforms: map[string][]float64{"go": {0}}}, &r)
	if r.Code != 0 {
		t.Fatalf("dispatch after the abandon: %+v", r)
	}
	i := h.WaitFor(d, "usage reported", 5*time.Second, func(i drivers.Info) bool {
		for _, u := range i.Usage {
			if u.PID == 1 && u.Values["abandoned"] == 1 && u.Values["lost"] == 1 {
				return true
			}
		}
		return false
	})
	t.Logf("usage: %+v", i.Usage)
}

// TestWorkerCrashAndClientGone kills a worker from outside (the GPU context crashed): the
// process gets ERR_LOST once and then works again. A process that leaves the bus in the middle
// of a runaway dispatch takes its worker with it.
func TestWorkerCrashAndClientGone(t *testing.T) {
	h := drivertest.New(t)
	d := h.Start(gpuSpec(t, "--budget", "30s"))
	c := newClient(t, h, drivertest.ClientPID)
	sh := c.compile(scaleShader)
	in, out := c.region(floats(1, 2, 3, 4)), c.region(make([]byte, 16))
	run := func() gpu.JobReply {
		var r gpu.JobReply
		c.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: sh, Groups: [3]int{1, 1, 1},
			Buffers:  []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Region: ptr(0)}, Access: gpu.AccessRead}, {Binding: 1, Ref: gpu.Ref{Region: ptr(1)}, Access: gpu.AccessWrite}},
			Uniforms: map[string][]float64{"scale": {2}}}, &r,
			bus.Attachment{Handle: in, Rights: bus.RightRead}, bus.Attachment{Handle: out, Rights: bus.RightWrite})
		return r
	}
	if r := run(); r.Code != 0 {
		t.Fatal(r)
	}
	ws := workers(t, d)
	if len(ws) != 1 {
		t.Fatalf("workers: %v", ws)
	}
	syscall.Kill(ws[0], syscall.SIGKILL)
	if r := run(); r.Code != gpu.CodeLost || !strings.Contains(r.Error, "crashed") {
		t.Fatalf("after the worker was killed: %+v", r)
	}
	if r := run(); r.Code != 0 {
		t.Fatalf("after the crash: %+v", r)
	}
	if got := float(c.read(out, 16), 3); got != 8 {
		t.Fatalf("out[3] = %v", got)
	}

	// A second process starts a runaway dispatch in the background and leaves the bus.
	gone := newClient(t, h, 2)
	loop := gone.compile(forever)
	var b gpu.HandleReply
	gone.ask(gpu.TopicBuffer, gpu.BufferRequest{Size: 64}, &b)
	var started gpu.JobReply
	f := false
	gone.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: loop, Groups: foreverGroups, Wait: &f,
		Buffers: []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Buffer: b.Buffer}}}, Uniforms: map[string][]float64{"go": {1}}}, &started)
	if started.Job == 0 || started.Done {
		t.Fatalf("background job: %+v", started)
	}
	testenv.Eventually(t, func() bool { return len(workers(t, d)) == 2 }, 10*time.Second, "two workers")
	h.Bus.Detach(2)
	testenv.Eventually(t, func() bool { return len(workers(t, d)) == 1 }, 10*time.Second, "the gone process's worker killed")
	if r := run(); r.Code != 0 {
		t.Fatalf("the remaining process: %+v", r)
	}
}

// TestDriverRestartLosesHandles kills the driver process itself: the manager starts it again
// under the same bus pid, and a shader handle from the old process is ERR_LOST ("restarted"),
// which the SDK answers by compiling the shader again.
func TestDriverRestartLosesHandles(t *testing.T) {
	h := drivertest.New(t)
	s := gpuSpec(t)
	s.Restart = drivers.Restart{Policy: drivers.RestartOnFailure, Backoff: 20 * time.Millisecond}
	d := h.Start(s)
	c := newClient(t, h, drivertest.ClientPID)
	sh := c.compile(scaleShader)
	first := d.Info().OSPID
	syscall.Kill(first, syscall.SIGKILL)
	h.WaitFor(d, "restarted", 20*time.Second, func(i drivers.Info) bool {
		return i.Restarts == 1 && i.State == drivers.Running && i.OSPID != first
	})
	var r gpu.JobReply
	c.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: sh, Groups: [3]int{1, 1, 1}}, &r)
	if r.Code != gpu.CodeLost || !strings.Contains(r.Error, "restarted") {
		t.Fatalf("an old shader handle after the restart: %+v", r)
	}
	if again := c.compile(scaleShader); again == sh {
		t.Fatalf("the new driver gave the old handle %d", again)
	}
}
