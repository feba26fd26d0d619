package gpu

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/orbital/orbital/drivers/wire"
)

// workerProc is one worker process as the driver sees it: the OS process holding a GL context
// for one client, the socket to it, and what its context holds.
type workerProc struct {
	cmd     *exec.Cmd
	conn    *wire.Conn
	info    Info
	results chan Result   // closed when the socket ends (the worker exited or was killed)
	exited  chan struct{} // closed when the process is reaped
	seq     uint64

	// The client's runner goroutine alone uses these.
	compiled map[uint64]bool // shaders compiled in this context
	ran      map[uint64]bool // programs that ran once here (their machine code exists)
}

// spawner starts workers from one locked OS thread: Pdeathsig is tied to the thread that
// forks, and this one lives as long as the service, so a worker dies with the driver.
type spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func (s *spawner) start(cmd *exec.Cmd) error {
	s.once.Do(func() {
		s.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the process
			for r := range s.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	r := spawnReq{cmd: cmd, done: make(chan error, 1)}
	s.reqs <- r
	return <-r.done
}

// startWorker runs a worker and waits for its hello (the context it opened, or why none).
func (s *Service) startWorker() (*workerProc, error) {
	conn, child, err := wire.Pair()
	if err != nil {
		return nil, err
	}
	defer child.Close()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ORBITAL_DRIVER_") {
			env = append(env, kv)
		}
	}
	if s.o.Backend != "" {
		env = append(env, "ORBITAL_GPU_BACKEND="+s.o.Backend)
	}
	cmd := &exec.Cmd{
		Path: s.o.WorkerPath, Args: append([]string{"orbital-gpu-worker"}, s.o.WorkerArgs...), Env: env, Dir: "/",
		Stdout: os.Stderr, Stderr: os.Stderr, ExtraFiles: []*os.File{child}, // fd 3
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	}
	if err := s.spawn.start(cmd); err != nil {
		conn.Close()
		return nil, fmt.Errorf("start the GPU worker: %w", err)
	}
	conn.WriteTimeout = 5 * time.Second
	w := &workerProc{cmd: cmd, conn: conn, results: make(chan Result, 1), exited: make(chan struct{}),
		compiled: map[uint64]bool{}, ran: map[uint64]bool{}}
	go func() { cmd.Wait(); close(w.exited) }()
	conn.SetReadDeadline(time.Now().Add(s.o.StartTimeout))
	f, err := conn.Read()
	conn.SetReadDeadline(time.Time{})
	var h Hello
	if err == nil && f.Type == FrameHello {
		err = json.Unmarshal(f.Body, &h)
		if err == nil && h.Error != "" {
			err = errors.New(h.Error)
		}
	} else if err == nil {
		err = fmt.Errorf("first frame is %v, want hello", f.Type)
	}
	f.CloseFDs()
	if err != nil {
		w.kill()
		return nil, fmt.Errorf("GPU worker: %w", err)
	}
	w.info = h.Info
	go w.read()
	return w, nil
}

// read forwards results until the socket ends.
func (w *workerProc) read() {
	defer close(w.results)
	for {
		f, err := w.conn.Read()
		if err != nil {
			return
		}
		f.CloseFDs()
		var r Result
		if f.Type != FrameResult || json.Unmarshal(f.Body, &r) != nil {
			w.cmd.Process.Kill() // a worker that speaks garbage is not trusted with more work
			return
		}
		w.results <- r
	}
}

// send writes one job with its region descriptors.
func (w *workerProc) send(j Job, fds []int) error {
	w.seq++
	j.Seq = w.seq
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return w.conn.Write(FrameJob, b, fds...)
}

// kill ends the worker at once and reaps it: the only way to stop a GPU that runs a shader
// which never returns (docs/design/gpu.md).
func (w *workerProc) kill() {
	w.cmd.Process.Kill()
	w.conn.Close()
	<-w.exited
}

// close asks the worker to exit (its socket closes) and kills it if it does not within grace.
func (w *workerProc) close(grace time.Duration) {
	w.conn.CloseWrite()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-w.exited:
		w.conn.Close()
	case <-t.C:
		w.kill()
	}
}

// exitText says how the worker ended, once it has.
// stillRunning is exitText's answer for a worker that has not ended within a second.
const stillRunning = "still running"

func (w *workerProc) exitText() string {
	select {
	case <-w.exited:
	case <-time.After(time.Second):
		return stillRunning
	}
	ps := w.cmd.ProcessState
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by signal " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(ps.ExitCode())
}
