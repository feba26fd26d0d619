package gpu

import (
	"fmt"
	"sync"
	"time"

	"github.com/orbital/orbital/drivers/driverkit"
	"golang.org/x/sys/unix"
)

// client is one process the driver serves: its limits, its handles and what it used, its
// queue of work and the worker that holds its GL context. Requests are checked and queued by
// the service's loop (handle.go); the client's runner goroutine runs them in order.
type client struct {
	s    *Service
	pid  uint32
	name string

	mu       sync.Mutex
	lim      limits
	shaders  map[uint64]*shader
	buffers  map[uint64]*buffer
	held     int64 // bytes of live buffers
	scratch  int64 // bytes of scratch objects the worker keeps
	use      Usage
	tokens   float64 // dispatch rate bucket
	refilled time.Time
	jobs     map[uint64]*jobRec
	jobOrder []uint64
	nextJob  uint64

	queue chan *task
	quit  chan struct{}
	done  chan struct{}
	w     *workerProc // runner goroutine only
}

type limits struct {
	memory int64
	rate   int
	budget time.Duration
}

type shader struct {
	src      CompileRequest
	compute  bool
	local    [3]int
	uniforms map[string]string
}

type buffer struct {
	size int64
	lost bool // its context is gone: the contents with it
}

// jobRec is a compute or draw job started with wait false, until its result was fetched.
type jobRec struct {
	done    bool
	res     JobReply
	waiters []uint64 // gpu.wait requests to answer when it is done
}

// task is one queued piece of work and what to do with its outcome.
type task struct {
	job     Job
	fds     []int        // the request's regions (duplicates), in order; they travel with the job and are closed once sent
	budget  bool         // compute or draw: the process's time budget applies
	program uint64       // the program it runs (first run gets Options.FirstRun more)
	finish  func(Result) // on the runner goroutine
}

const queueDepth = 16

func newClient(s *Service, pid uint32) *client {
	c := &client{s: s, pid: pid, shaders: map[uint64]*shader{}, buffers: map[uint64]*buffer{},
		jobs: map[uint64]*jobRec{}, queue: make(chan *task, queueDepth), quit: make(chan struct{}), done: make(chan struct{}),
		refilled: time.Now()}
	c.lim = s.defaultLimits()
	c.tokens = float64(c.lim.rate)
	go c.run()
	return c
}

// setPeer takes the name and the policy's limits the kernel sent with a message.
func (c *client) setPeer(p *driverkit.Peer) {
	if p == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.name = p.Name
	c.lim = c.s.limitsFor(p.Limits)
}

// take refuses a dispatch over the rate (a bucket of one second's dispatches).
func (c *client) take(now time.Time) bool {
	rate := float64(c.lim.rate)
	c.tokens = min(rate, c.tokens+now.Sub(c.refilled).Seconds()*rate)
	c.refilled = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// memory is what the client holds now: live buffers and the worker's scratch.
func (c *client) memory() int64 { return c.held + c.scratch }

// run executes the queue until the client is dropped.
func (c *client) run() {
	defer close(c.done)
	defer func() {
		if c.w != nil {
			c.w.kill()
		}
	}()
	for {
		select {
		case t := <-c.queue:
			c.exec(t)
		case <-c.quit:
			for {
				select {
				case t := <-c.queue:
					closeFDs(t.fds)
				default:
					return
				}
			}
		}
	}
}

func closeRegions(rs []*driverkit.Region) {
	for _, r := range rs {
		r.Close()
	}
}

// dupFDs duplicates the descriptors of a request's regions for its task: the request's own
// are closed once it is handled, the task's once they are sent to the worker.
func dupFDs(rs []*driverkit.Region) []int {
	out := make([]int, 0, len(rs))
	for _, r := range rs {
		fd, err := unix.FcntlInt(uintptr(r.Fd()), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			fd = -1 // the worker refuses the job: a descriptor short
		}
		out = append(out, fd)
	}
	return out
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// exec runs one task on the client's worker, starting one if needed, and abandons it (killing
// the worker) when it runs past its budget.
func (c *client) exec(t *task) {
	w, err := c.worker()
	if err != nil {
		closeFDs(t.fds)
		t.finish(Result{Code: CodeInternal, Error: err.Error()})
		return
	}
	c.mu.Lock()
	t.job.Keep = max(c.lim.memory-c.held, 0)
	budget := c.lim.budget
	c.mu.Unlock()
	if !t.budget {
		budget = max(budget, c.s.o.CompileBudget)
	}
	if t.program != 0 && !w.ran[t.program] {
		budget += c.s.o.FirstRun
	}
	err = w.send(t.job, t.fds)
	closeFDs(t.fds)
	if err != nil {
		// A worker that died is a crash whether its end or the failed send was seen first.
		if why := w.exitText(); why != stillRunning {
			t.finish(c.lose(fmt.Sprintf("the GPU worker crashed (%s; sending it the job: %v)", why, err)))
		} else {
			t.finish(c.lose(fmt.Sprintf("the GPU worker stopped taking work (%v; %s)", err, why)))
		}
		return
	}
	timer := time.NewTimer(budget)
	defer timer.Stop()
	select {
	case r, ok := <-w.results:
		if !ok {
			t.finish(c.lose("the GPU worker crashed (" + w.exitText() + ")"))
			return
		}
		if t.program != 0 && r.Code == 0 {
			w.ran[t.program] = true
		}
		if t.job.Op == OpCompile {
			w.compiled[t.job.ID] = r.Code == 0
		}
		c.mu.Lock()
		c.scratch = r.Scratch
		c.mu.Unlock()
		t.finish(r)
	case <-timer.C:
		c.abandon(t, budget)
	case <-c.quit:
		t.finish(Result{Code: CodeLost, Error: "the process left the bus"})
	}
}

// abandon kills the worker running a task past its budget: on a GPU without preemption (and on
// llvmpipe, where the GPU is this process's CPU threads) nothing else stops a shader.
func (c *client) abandon(t *task, budget time.Duration) {
	c.mu.Lock()
	c.use.Abandoned++
	limit, name := c.lim.budget, c.name
	c.mu.Unlock()
	what := t.job.Op
	reason := fmt.Sprintf("%s abandoned after %v: it ran past its time budget (limits.gpu_budget %v)", what, budget.Round(time.Millisecond), limit)
	c.s.d.Audit(c.pid, "gpu.budget", "gpu."+what, reason)
	c.s.d.Logf(2, "gpu: pid %d (%s): %s; its GPU context was killed", c.pid, name, reason)
	r := c.lose(reason)
	r.Code = CodeBudget
	t.finish(r)
}

// lose forgets the client's worker after it died or was killed: its buffers' contents are
// gone (lost), its shaders are compiled again in the next worker.
func (c *client) lose(why string) Result {
	if c.w != nil {
		c.w.kill()
		c.w = nil
	}
	c.mu.Lock()
	c.use.Lost++
	for _, b := range c.buffers {
		if !b.lost {
			b.lost = true
			c.held -= b.size
		}
	}
	c.scratch = 0
	c.mu.Unlock()
	c.s.dirty.Store(true)
	return Result{Code: CodeLost, Error: why + "; its GPU buffers are lost, its shaders are kept"}
}

// worker returns the client's worker, starting one (and compiling the client's shaders in
// it) when there is none.
func (c *client) worker() (*workerProc, error) {
	if c.w != nil {
		return c.w, nil
	}
	w, err := c.s.startWorker()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	type todo struct {
		id  uint64
		src CompileRequest
	}
	var list []todo
	for id, sh := range c.shaders {
		list = append(list, todo{id, sh.src})
	}
	c.mu.Unlock()
	for _, t := range list {
		if err := w.send(Job{Op: OpCompile, ID: t.id, Compile: &t.src}, nil); err != nil {
			w.kill()
			return nil, err
		}
		select {
		case r, ok := <-w.results:
			if !ok {
				return nil, fmt.Errorf("the GPU worker crashed compiling shader %d again (%s)", t.id, w.exitText())
			}
			w.compiled[t.id] = r.Code == 0
		case <-time.After(c.s.o.CompileBudget):
			w.kill()
			return nil, fmt.Errorf("compiling shader %d again took over %v", t.id, c.s.o.CompileBudget)
		}
	}
	c.w = w
	return w, nil
}

// stop ends the runner, killing the worker (even mid-dispatch); safe to call twice.
func (c *client) stop() {
	select {
	case <-c.quit:
	default:
		close(c.quit)
	}
	<-c.done
}
