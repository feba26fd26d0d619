package gpu_test

import (
	"runtime"
	"testing"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers/drivertest"
	"github.com/orbital/orbital/drivers/gpu"
	"github.com/orbital/orbital/drivers/gpu/gl"
)

// BenchmarkDispatch8MiB runs one compute dispatch over 8 MiB of floats (b[i] = a[i] * scale):
// through Orbital (a client's two shared regions, a request to the driver, the worker maps
// them, uploads 8 MiB, dispatches, downloads 8 MiB, replies) against the same shader and the
// same copies by raw GL in this process (base=raw-gl). The ratio is what the bus, the driver,
// the worker's socket and the region copies add to one dispatch; worker-ms/op is the part spent
// in the worker (copies and dispatch).
func BenchmarkDispatch8MiB(b *testing.B) {
	const n = 2 << 20 // floats
	b.Run("base=raw-gl", func(b *testing.B) {
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
		in, out := make([]byte, 4*n), make([]byte, 4*n)
		a, _ := ctx.NewBuffer(4 * n)
		c, _ := ctx.NewBuffer(4 * n)
		b.SetBytes(4 * n)
		b.ReportAllocs()
		for b.Loop() {
			a.Write(0, in)
			if err := ctx.Dispatch(p, []gl.BufferBinding{{Binding: 0, Buf: a, Size: 4 * n}, {Binding: 1, Buf: c, Size: 4 * n}}, nil,
				map[string][]float64{"scale": {2}}, [3]int{n / 64, 1, 1}); err != nil {
				b.Fatal(err)
			}
			c.Read(0, out)
		}
	})
	b.Run("orbital", func(b *testing.B) {
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
		b.SetBytes(4 * n)
		b.ReportAllocs()
		var worker float64
		for b.Loop() {
			r = gpu.JobReply{}
			c.ask(gpu.TopicCompute, req, &r, atts...)
			if r.Code != 0 {
				b.Fatal(r)
			}
			worker += r.MS
		}
		b.ReportMetric(worker/float64(b.N), "worker-ms/op") // the rest of ns/op is the bus, the driver and the sockets
	})
}
