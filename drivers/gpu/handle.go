package gpu

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/orbital/orbital/drivers/driverkit"
)

// request checks one request of the client and queues its work. It returns the answer when
// there is one at once (an error, gpu.info, a job started with wait false is answered by the
// task), nil when a task will answer.
func (c *client) request(m driverkit.Message) any {
	s := c.s
	decode := func(v any) *Status {
		if err := json.Unmarshal(m.Payload, v); err != nil {
			return &Status{Code: CodeInvalid, Error: fmt.Sprintf("%s: the payload is not the request's JSON: %v", m.Topic, err)}
		}
		return nil
	}
	switch m.Topic {
	case TopicInfo:
		in := s.info
		c.mu.Lock()
		in.Limits = Limits{Memory: c.lim.memory, Dispatches: c.lim.rate, BudgetMS: c.lim.budget.Milliseconds()}
		c.mu.Unlock()
		in.Usage = c.usage()
		return in
	case TopicCompile:
		var r CompileRequest
		if st := decode(&r); st != nil {
			return st
		}
		return c.compile(m, r)
	case TopicBuffer:
		var r BufferRequest
		if st := decode(&r); st != nil {
			return st
		}
		return c.newBuffer(m, r)
	case TopicCopy:
		var r CopyRequest
		if st := decode(&r); st != nil {
			return st
		}
		return c.copy(m, r)
	case TopicRelease:
		var r ReleaseRequest
		if st := decode(&r); st != nil {
			return st
		}
		return c.release(m, r)
	case TopicCompute:
		var r ComputeRequest
		if st := decode(&r); st != nil {
			return st
		}
		return c.compute(m, r)
	case TopicDraw:
		var r DrawRequest
		if st := decode(&r); st != nil {
			return st
		}
		return c.draw(m, r)
	case TopicWait:
		var r WaitRequest
		if st := decode(&r); st != nil {
			return st
		}
		return c.wait(m.Corr, r.Job)
	}
	return &Status{Code: CodeInvalid, Error: "gpu: unknown topic " + m.Topic}
}

func invalid(format string, args ...any) *Status {
	return &Status{Code: CodeInvalid, Error: "gpu: " + fmt.Sprintf(format, args...)}
}

// refuse answers a request over a limit, counts it and audits it.
func (c *client) refuse(topic, limit, format string, args ...any) *Status {
	why := fmt.Sprintf(format, args...)
	c.mu.Lock()
	c.use.Refused++
	c.mu.Unlock()
	c.s.dirty.Store(true)
	c.s.d.Audit(c.pid, limit, topic, why)
	return &Status{Code: CodeLimit, Error: "gpu: " + why}
}

// enqueue queues t; a full queue is refused (and the task's regions closed).
func (c *client) enqueue(topic string, t *task) *Status {
	select {
	case c.queue <- t:
		return nil
	default:
		closeFDs(t.fds)
		return c.refuse(topic, "gpu.queue", "%d requests of this process are already queued; wait for their answers", queueDepth)
	}
}

const maxSource = 256 << 10

func (c *client) compile(m driverkit.Message, r CompileRequest) any {
	switch {
	case r.Compute != "" && (r.Vertex != "" || r.Fragment != ""):
		return invalid("compile: a compute shader is compiled alone")
	case r.Compute == "" && (r.Vertex == "" || r.Fragment == ""):
		return invalid("compile: give a compute shader, or a vertex and a fragment shader")
	case len(r.Compute)+len(r.Vertex)+len(r.Fragment) > maxSource:
		return invalid("compile: sources of %d bytes, at most %d", len(r.Compute)+len(r.Vertex)+len(r.Fragment), maxSource)
	}
	id := c.s.handleID()
	t := &task{job: Job{Op: OpCompile, ID: id, Compile: &r}, finish: func(res Result) {
		rep := CompileReply{Diagnostics: res.Diagnostics, Status: status(res)}
		if res.Code == 0 {
			rep.Shader, rep.Local, rep.Uniforms = id, res.Local, res.Uniforms
			c.mu.Lock()
			c.shaders[id] = &shader{src: r, compute: r.Compute != "", local: res.Local, uniforms: res.Uniforms}
			c.mu.Unlock()
			c.s.dirty.Store(true)
		}
		c.s.reply(m.Corr, rep)
	}}
	if st := c.enqueue(m.Topic, t); st != nil {
		return st
	}
	return nil
}

func status(r Result) Status {
	if r.Code == 0 {
		return Status{}
	}
	return Status{Code: r.Code, Error: "gpu: " + r.Error}
}

func (c *client) newBuffer(m driverkit.Message, r BufferRequest) any {
	c.mu.Lock()
	limit, held := c.lim.memory, c.held
	c.mu.Unlock()
	if r.Size <= 0 {
		return invalid("buffer: size %d", r.Size)
	}
	if held+r.Size > limit {
		return c.refuse(m.Topic, "gpu.memory", "a buffer of %d bytes would bring this process's GPU memory to %d bytes, over its limit of %d (limits.gpu_memory)", r.Size, held+r.Size, limit)
	}
	regs, st := jobRegions(m.Regions)
	if st != nil {
		return st
	}
	if r.Init != nil {
		if st := regionRef(m.Regions, *r.Init, 0, 1, rightRead); st != nil {
			return st
		}
	}
	id := c.s.handleID()
	c.mu.Lock()
	c.held += r.Size
	c.buffers[id] = &buffer{size: r.Size}
	c.mu.Unlock()
	t := &task{job: Job{Op: OpBuffer, ID: id, Size: r.Size, Init: r.Init, Regions: regs}, fds: dupFDs(m.Regions), finish: func(res Result) {
		if res.Code != 0 {
			c.mu.Lock()
			if b := c.buffers[id]; b != nil && !b.lost {
				c.held -= b.size
			}
			delete(c.buffers, id)
			c.mu.Unlock()
			c.s.reply(m.Corr, HandleReply{Status: status(res)})
			return
		}
		c.s.dirty.Store(true)
		c.s.reply(m.Corr, HandleReply{Buffer: id})
	}}
	if st := c.enqueue(m.Topic, t); st != nil {
		c.mu.Lock()
		c.held -= r.Size
		delete(c.buffers, id)
		c.mu.Unlock()
		return st
	}
	return nil
}

func (c *client) copy(m driverkit.Message, r CopyRequest) any {
	if r.Size <= 0 {
		return invalid("copy: size %d", r.Size)
	}
	regs, st := jobRegions(m.Regions)
	if st != nil {
		return st
	}
	if st := c.ref(m.Regions, regs, r.From, r.Size, rightRead); st != nil {
		return st
	}
	if st := c.ref(m.Regions, regs, r.To, r.Size, rightWrite); st != nil {
		return st
	}
	t := &task{job: Job{Op: OpCopy, Size: r.Size, From: &r.From, To: &r.To, Regions: regs}, fds: dupFDs(m.Regions),
		finish: func(res Result) { c.s.reply(m.Corr, HandleReply{Status: status(res)}) }}
	if st := c.enqueue(m.Topic, t); st != nil {
		return st
	}
	return nil
}

func (c *client) release(m driverkit.Message, r ReleaseRequest) any {
	c.mu.Lock()
	_, okS := c.shaders[r.Shader]
	b, okB := c.buffers[r.Buffer]
	c.mu.Unlock()
	if r.Shader != 0 && !okS || r.Buffer != 0 && !okB || r.Shader == 0 && r.Buffer == 0 {
		return &Status{Code: CodeNotFound, Error: fmt.Sprintf("gpu: release: this process holds no shader %d or buffer %d", r.Shader, r.Buffer)}
	}
	j := Job{Op: OpRelease}
	if okS {
		j.Shaders = []uint64{r.Shader}
	}
	if okB {
		j.Buffers = []uint64{r.Buffer}
	}
	t := &task{job: j, finish: func(Result) {}}
	if st := c.enqueue(m.Topic, t); st != nil {
		return st
	}
	c.mu.Lock()
	delete(c.shaders, r.Shader)
	if okB {
		if !b.lost {
			c.held -= b.size
		}
		delete(c.buffers, r.Buffer)
	}
	c.mu.Unlock()
	c.s.dirty.Store(true)
	return HandleReply{}
}

// start queues a compute or draw task: answered when done, or at once with a job id when the
// request says wait false (the result then comes as a direct message, and from gpu.wait).
func (c *client) start(m driverkit.Message, t *task, wait *bool, draw bool) any {
	now := time.Now()
	c.mu.Lock()
	ok := c.take(now)
	rate := c.lim.rate
	c.mu.Unlock()
	if !ok {
		closeFDs(t.fds)
		return c.refuse(m.Topic, "gpu.rate", "over %d dispatches and draws per second (limits.gpu_dispatches)", rate)
	}
	var id uint64
	if wait != nil && !*wait {
		id = c.s.handleID()
		c.mu.Lock()
		c.jobs[id] = &jobRec{}
		c.jobOrder = append(c.jobOrder, id)
		c.mu.Unlock()
	}
	t.finish = func(res Result) {
		rep := JobReply{Job: id, Done: true, MS: res.MS, Status: status(res)}
		c.mu.Lock()
		if res.Code == 0 {
			if draw {
				c.use.Draws++
			} else {
				c.use.Dispatches++
			}
			c.use.GPUTimeMS += res.MS
		}
		c.mu.Unlock()
		c.s.dirty.Store(true)
		if id == 0 {
			c.s.reply(m.Corr, rep)
			return
		}
		c.jobDone(id, rep)
	}
	if st := c.enqueue(m.Topic, t); st != nil {
		if id != 0 {
			c.mu.Lock()
			delete(c.jobs, id)
			c.mu.Unlock()
		}
		return st
	}
	if id != 0 {
		return JobReply{Job: id}
	}
	return nil
}

const keptJobs = 64

// jobDone records a background job's result, answers its waiters or tells the process.
func (c *client) jobDone(id uint64, rep JobReply) {
	c.mu.Lock()
	j := c.jobs[id]
	if j == nil {
		c.mu.Unlock()
		return
	}
	j.done, j.res = true, rep
	waiters := j.waiters
	j.waiters = nil
	if len(waiters) > 0 {
		delete(c.jobs, id)
	}
	// Forget the oldest results nobody fetched.
	for len(c.jobOrder) > keptJobs {
		old := c.jobOrder[0]
		c.jobOrder = c.jobOrder[1:]
		if r := c.jobs[old]; r != nil && r.done {
			delete(c.jobs, old)
		}
	}
	c.mu.Unlock()
	for _, corr := range waiters {
		c.s.reply(corr, rep)
	}
	ev := rep
	ev.Event = EventDone
	b, _ := json.Marshal(ev)
	if err := c.s.d.Send(c.pid, b, time.Second); err != nil {
		c.s.d.Logf(1, "gpu: pid %d: job %d done, not told: %v", c.pid, id, err)
	}
}

func (c *client) wait(corr uint64, id uint64) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	j := c.jobs[id]
	if j == nil {
		return &Status{Code: CodeNotFound, Error: fmt.Sprintf("gpu: wait: this process has no job %d (or its result was fetched already)", id)}
	}
	if j.done {
		delete(c.jobs, id)
		return j.res
	}
	j.waiters = append(j.waiters, corr)
	return nil
}
