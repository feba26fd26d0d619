package gpu_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers"
	"github.com/orbital/orbital/drivers/drivertest"
	"github.com/orbital/orbital/drivers/gpu"
)

// TestPolicyLimits gives the process the GPU limits its policy would (the kernel's Peer): a
// buffer over its memory and dispatches over its rate are refused with ERR_LIMIT and audited;
// gpu.info reports the limits it got.
func TestPolicyLimits(t *testing.T) {
	var mu sync.Mutex
	var audits []string
	h := drivertest.New(t, func(c *drivers.Config) {
		c.Peer = func(pid bus.PID) drivers.PeerInfo {
			return drivers.PeerInfo{Name: "hog", Limits: map[string]int64{
				gpu.LimitMemory: 1 << 20, gpu.LimitDispatches: 3, gpu.LimitBudget: int64(time.Second)}}
		}
		c.Audit = func(driver string, pid bus.PID, op, object, reason string) {
			mu.Lock()
			audits = append(audits, op+" "+object+": "+reason)
			mu.Unlock()
		}
	})
	h.Start(gpuSpec(t))
	c := newClient(t, h, drivertest.ClientPID)
	var info gpu.Info
	c.ask(gpu.TopicInfo, struct{}{}, &info)
	if info.Limits != (gpu.Limits{Memory: 1 << 20, Dispatches: 3, BudgetMS: 1000}) {
		t.Fatalf("limits: %+v", info.Limits)
	}
	var b gpu.HandleReply
	c.ask(gpu.TopicBuffer, gpu.BufferRequest{Size: 2 << 20}, &b)
	if b.Code != gpu.CodeLimit || !strings.Contains(b.Error, "limits.gpu_memory") {
		t.Fatalf("a buffer over the memory limit: %+v", b)
	}
	// A region-backed binding counts too.
	sh := c.compile(scaleShader)
	big := c.region(make([]byte, 2<<20))
	var r gpu.JobReply
	c.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: sh, Groups: [3]int{1, 1, 1},
		Buffers: []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Region: ptr(0)}, Access: gpu.AccessRead}}}, &r, bus.Attachment{Handle: big, Rights: bus.RightRead})
	if r.Code != gpu.CodeLimit {
		t.Fatalf("a binding over the memory limit: %+v", r)
	}
	// Three dispatches a second: a burst of six sees refusals.
	refused := 0
	for i := 0; i < 6; i++ {
		r = gpu.JobReply{}
		c.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: sh, Groups: [3]int{1, 1, 1}, Uniforms: map[string][]float64{"scale": {1}}}, &r)
		if r.Code == gpu.CodeLimit && strings.Contains(r.Error, "limits.gpu_dispatches") {
			refused++
		} else if r.Code != 0 {
			t.Fatalf("dispatch %d: %+v", i, r)
		}
	}
	if refused < 2 {
		t.Fatalf("%d of 6 dispatches refused at 3 per second", refused)
	}
	mu.Lock()
	defer mu.Unlock()
	got := strings.Join(audits, "\n")
	for _, want := range []string{"gpu.memory gpu.buffer", "gpu.memory gpu.compute", "gpu.rate gpu.compute"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit has no %q:\n%s", want, got)
		}
	}
}

// TestRegionFreedDuringDispatch releases the regions of a dispatch still running in the
// background: the descriptors the worker holds keep the memory until it is done, and the job
// ends well.
func TestRegionFreedDuringDispatch(t *testing.T) {
	h := drivertest.New(t)
	h.Start(gpuSpec(t))
	c := newClient(t, h, drivertest.ClientPID)
	sh := c.compile(scaleShader)
	const n = 1 << 20
	in, out := c.region(make([]byte, 4*n)), c.region(make([]byte, 4*n))
	f := false
	var started gpu.JobReply
	c.ask(gpu.TopicCompute, gpu.ComputeRequest{Shader: sh, Groups: [3]int{n / 64, 1, 1}, Wait: &f,
		Buffers:  []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Region: ptr(0)}, Access: gpu.AccessRead}, {Binding: 1, Ref: gpu.Ref{Region: ptr(1)}, Access: gpu.AccessWrite}},
		Uniforms: map[string][]float64{"scale": {2}}}, &started,
		bus.Attachment{Handle: in, Rights: bus.RightRead}, bus.Attachment{Handle: out, Rights: bus.RightWrite})
	h.Bus.RegionRelease(drivertest.ClientPID, in)
	h.Bus.RegionRelease(drivertest.ClientPID, out)
	var done gpu.JobReply
	c.ask(gpu.TopicWait, gpu.WaitRequest{Job: started.Job}, &done)
	if done.Code != 0 || !done.Done || done.Job != started.Job {
		t.Fatalf("job after its regions were freed: %+v", done)
	}
	// The done message came too, as a direct message.
	m := h.Next(10 * time.Second)
	if m.Kind != bus.KindDirect || !strings.Contains(string(m.Payload), `"event":"gpu.done"`) || !strings.Contains(string(m.Payload), fmt.Sprint(started.Job)) {
		t.Fatalf("done message: %v %s", m.Kind, m.Payload)
	}
	var again gpu.JobReply
	c.ask(gpu.TopicWait, gpu.WaitRequest{Job: started.Job}, &again)
	if again.Code != gpu.CodeNotFound {
		t.Fatalf("a second wait: %+v", again)
	}
}
