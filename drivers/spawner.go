package drivers

import (
	"os/exec"
	"runtime"
)

// spawner starts driver processes from one OS thread that lives as long as the manager.
// Pdeathsig fires when the thread that forked a child exits (not the process): forking from an
// arbitrary goroutine's thread, which the Go runtime may retire (a WASM process's locked thread
// is destroyed when it ends), would kill the driver with it.
type spawner struct {
	reqs chan spawnReq
	done chan struct{}
}

type spawnReq struct {
	cmd *exec.Cmd
	res chan error
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnReq), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *spawner) loop() {
	runtime.LockOSThread() // never unlocked: the thread ends with the loop, after every child
	defer close(s.done)
	for r := range s.reqs {
		r.res <- r.cmd.Start()
	}
}

// start runs cmd.Start on the spawner thread.
func (s *spawner) start(cmd *exec.Cmd) error {
	r := spawnReq{cmd: cmd, res: make(chan error, 1)}
	s.reqs <- r
	return <-r.res
}

// close ends the thread; call it only when no child is left.
func (s *spawner) close() {
	close(s.reqs)
	<-s.done
}
