package gpu_test

import (
	"runtime"
	"testing"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers/drivertest"
	"github.com/orbital/orbital/drivers/gpu"
	"github.com/orbital/orbital/drivers/gpu/gl"
	"github.com/orbital/orbital/internal/testenv"
)

// BenchmarkDispatch8MiB runs one compute dispatch over 8 MiB of floats (b[i] = a[i] * scale):
// through Orbital (a client's two shared regions, a request to the driver, the worker maps
// them, uploads 8 MiB, dispatches, downloads 8 MiB, replies) against the same shader and the
// same copies by raw GL in this process (base=raw-gl). The ratio is what the bus, the driver,
// the worker's socket and the region copies add to one dispatch; worker-ms/op is the part spent
// in the worker (copies and dispatch).
func BenchmarkDispatch8MiB(b *testing.B) {
	const n = 2 << 20 // floats
	// The raw side's GL context is current on this thread; the orbital side's client waits
	// on the bus, its GL is in the worker process.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ctx, err := gl.Open("")
	if err != nil {
		b.Fatal(err)
	}
	defer ctx.Close()
	p, diags, err := ctx.Compile(map[string]string{gl.StageCompute: scaleShader})
	if err != nil {
		b.Fatal(err, diags)
	}
	rin, rout := make([]byte, 4*n), make([]byte, 4*n)
	a, _ := ctx.NewBuffer(4 * n)
	o, _ := ctx.NewBuffer(4 * n)

	h := drivertest.New(b)
	h.Start(gpuSpec(b))
	c := newClient(b, h, drivertest.ClientPID)
	sh := c.compile(scaleShader)
	in, out := c.region(make([]byte, 4*n)), c.region(make([]byte, 4*n))
	req := gpu.ComputeRequest{Shader: sh, Groups: [3]int{n / 64, 1, 1},
		Buffers:  []gpu.Binding{{Binding: 0, Ref: gpu.Ref{Region: ptr(0)}, Access: gpu.AccessRead}, {Binding: 1, Ref: gpu.Ref{Region: ptr(1)}, Access: gpu.AccessWrite}},
		Uniforms: map[string][]float64{"scale": {2}}}
	atts := []bus.Attachment{{Handle: in, Rights: bus.RightRead}, {Handle: out, Rights: bus.RightWrite}}
	var r gpu.JobReply
	c.ask(gpu.TopicCompute, req, &r, atts...) // the first run compiles the machine code
	var worker []float64
	mbs := func(b *testing.B, nsOp float64) { b.ReportMetric(4*n/nsOp*1e3, "MB/s") }

	// Interleaved rounds, each side's median (testenv.Interleave): one after the other for
	// a second each, the ratio moved from 0.91x to 1.67x between make bench runs.
	testenv.Interleave(b, 9, 20, nil, "", 1, []testenv.Side{
		{Name: "base=raw-gl", Run: func(k int) {
			for range k {
				a.Write(0, rin)
				if err := ctx.Dispatch(p, []gl.BufferBinding{{Binding: 0, Buf: a, Size: 4 * n}, {Binding: 1, Buf: o, Size: 4 * n}}, nil,
					map[string][]float64{"scale": {2}}, [3]int{n / 64, 1, 1}); err != nil {
					b.Fatal(err)
				}
				o.Read(0, rout)
			}
		}, Extra: mbs},
		{Name: "orbital", Run: func(k int) {
			for range k {
				r = gpu.JobReply{}
				c.ask(gpu.TopicCompute, req, &r, atts...)
				if r.Code != 0 {
					b.Fatal(r)
				}
				worker = append(worker, r.MS)
			}
		}, Extra: func(b *testing.B, nsOp float64) {
			mbs(b, nsOp)
			// The rest of orbital's ns/op is the bus, the driver and the sockets.
			b.ReportMetric(testenv.Median(worker), "worker-ms/op")
		}},
	})
}
