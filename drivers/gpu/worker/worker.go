package worker

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/orbital/orbital/drivers/gpu"
	"github.com/orbital/orbital/drivers/gpu/gl"
	"github.com/orbital/orbital/drivers/wire"
)

// EnvBackend names the GL backend a worker opens ("" tries them in order; see gl.Open).
const EnvBackend = "ORBITAL_GPU_BACKEND"

// SocketFD is the worker's end of its socket to the driver.
const SocketFD = 3

// worker is the state of one worker process: its context and the objects it holds.
type worker struct {
	ctx      *gl.Context
	conn     *wire.Conn
	programs map[uint64]*gl.Program
	buffers  map[uint64]*gl.Buffer
	pool     pool
}

// Main runs a worker process until the driver closes its socket, and returns the exit code.
// It must run on the main goroutine: the GL context lives on this OS thread.
func Main() int {
	runtime.LockOSThread()
	conn, err := wire.FileConn(os.NewFile(SocketFD, "gpu-worker-socket"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gpu worker:", err)
		return 2
	}
	defer conn.Close()
	ctx, err := gl.Open(os.Getenv(EnvBackend))
	if err != nil {
		send(conn, gpu.FrameHello, gpu.Hello{Error: err.Error()})
		return 1
	}
	defer ctx.Close()
	if err := send(conn, gpu.FrameHello, gpu.Hello{Info: info(ctx)}); err != nil {
		return 1
	}
	w := &worker{ctx: ctx, conn: conn, programs: map[uint64]*gl.Program{}, buffers: map[uint64]*gl.Buffer{}}
	for {
		f, err := conn.Read()
		if err != nil {
			return 0 // the driver closed the socket (or died): nothing left to do
		}
		if f.Type != gpu.FrameJob {
			f.CloseFDs()
			fmt.Fprintf(os.Stderr, "gpu worker: unexpected %v frame\n", f.Type)
			return 2
		}
		var j gpu.Job
		if err := json.Unmarshal(f.Body, &j); err != nil {
			f.CloseFDs()
			fmt.Fprintf(os.Stderr, "gpu worker: bad job: %v\n", err)
			return 2
		}
		res, fatal := w.do(j, f.FDs)
		if err := send(conn, gpu.FrameResult, res); err != nil || fatal {
			return 1
		}
		if ctx.Lost() {
			fmt.Fprintln(os.Stderr, "gpu worker: the GPU reset the context (a hang); exiting")
			return 3
		}
	}
}

func send(c *wire.Conn, t wire.Type, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Write(t, b)
}

func info(c *gl.Context) gpu.Info {
	return gpu.Info{Backend: c.Backend, Renderer: c.Renderer, Version: c.Version, Robust: c.Robust,
		MaxGroups: c.MaxGroups, MaxLocal: c.MaxLocal, MaxInvocations: c.MaxInvocations,
		MaxBindings: c.MaxBindings, MaxImages: c.MaxImages, MaxTextures: c.MaxTextures,
		MaxTextureSize: c.MaxTextureSize, MaxVertexAttrs: c.MaxVertexAttrs, BufferAlign: c.BufferAlign}
}

// failure is an error with the code its reply carries.
type failure struct {
	code int
	msg  string
}

func (f *failure) Error() string { return f.msg }

func fail(code int, format string, args ...any) error {
	return &failure{code: code, msg: fmt.Sprintf(format, args...)}
}

// do runs one job with its region descriptors (closed before it returns). fatal asks the worker
// to exit after answering: a Go panic leaves the GL state unknown.
func (w *worker) do(j gpu.Job, fds []int) (res gpu.Result, fatal bool) {
	res.Seq = j.Seq
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			res.Code, res.Error = gpu.CodeInternal, fmt.Sprintf("gpu worker: %v\n%s", p, debug.Stack())
			fatal = true
		}
	}()
	regions, err := openRegions(fds, j.Regions)
	if err == nil {
		defer closeRegions(regions)
		err = w.run(j, regions, &res)
	}
	w.pool.trim(j.Keep)
	res.Scratch = w.pool.bytes
	res.MS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		res.Code, res.Error = gpu.CodeInvalid, err.Error()
		if f, ok := err.(*failure); ok {
			res.Code = f.code
		}
	}
	return res, false
}

func (w *worker) run(j gpu.Job, regions []*region, res *gpu.Result) error {
	switch j.Op {
	case gpu.OpCompile:
		return w.compile(j, res)
	case gpu.OpBuffer:
		return w.buffer(j, regions)
	case gpu.OpRelease:
		for _, id := range j.Shaders {
			if p := w.programs[id]; p != nil {
				p.Delete()
				delete(w.programs, id)
			}
		}
		for _, id := range j.Buffers {
			if b := w.buffers[id]; b != nil {
				b.Delete()
				delete(w.buffers, id)
			}
		}
		return nil
	case gpu.OpCopy:
		return w.copy(j, regions)
	case gpu.OpCompute:
		return w.compute(j.Compute, regions)
	case gpu.OpDraw:
		return w.draw(j.Draw, regions)
	}
	return fail(gpu.CodeInvalid, "unknown job %q", j.Op)
}
