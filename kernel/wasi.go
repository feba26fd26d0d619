package kernel

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/orbital/orbital/policies"
)

const wasiModule = "wasi_snapshot_preview1"

// wasiFuncs are the functions of WASI preview 1, all of which wasmtime's linker defines. A
// module importing any other name from wasi_snapshot_preview1 is refused at load time with a
// message naming it.
var wasiFuncs = toSet("args_get", "args_sizes_get", "environ_get", "environ_sizes_get",
	"clock_res_get", "clock_time_get", "fd_advise", "fd_allocate", "fd_close", "fd_datasync",
	"fd_fdstat_get", "fd_fdstat_set_flags", "fd_fdstat_set_rights", "fd_filestat_get",
	"fd_filestat_set_size", "fd_filestat_set_times", "fd_pread", "fd_prestat_get",
	"fd_prestat_dir_name", "fd_pwrite", "fd_read", "fd_readdir", "fd_renumber", "fd_seek",
	"fd_sync", "fd_tell", "fd_write", "path_create_directory", "path_filestat_get",
	"path_filestat_set_times", "path_link", "path_open", "path_readlink",
	"path_remove_directory", "path_rename", "path_symlink", "path_unlink_file", "poll_oneoff",
	"proc_exit", "proc_raise", "sched_yield", "random_get", "sock_accept", "sock_recv",
	"sock_send", "sock_shutdown")

func toSet(names ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(names))
	for _, n := range names {
		m[n] = struct{}{}
	}
	return m
}

// wasiConfig builds the WASI view of one process: argv, environment, preopened directories
// and stdio. No preopen may contain or overlap the Orbital home (policies.CheckPreopen),
// whoever asked for it: a policy, the command line or a parent.
func wasiConfig(name string, o SpawnOptions, home string) (*wasmtime.WasiConfig, error) {
	w := wasmtime.NewWasiConfig()
	w.SetArgv(append([]string{name}, o.Args...))
	keys, vals := make([]string, 0, len(o.Env)), make([]string, 0, len(o.Env))
	for _, kv := range o.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			w.Close()
			return nil, fmt.Errorf("environment entry %q is not KEY=VALUE", kv)
		}
		keys, vals = append(keys, k), append(vals, v)
	}
	if len(keys) > 0 { // a fresh config's environment is empty already
		w.SetEnv(keys, vals)
	}
	for _, d := range o.Dirs {
		if err := policies.CheckPreopen(d.Host, home); err != nil {
			w.Close()
			return nil, fmt.Errorf("preopen %s::%s refused: %w", d.Host, d.Guest, err)
		}
		st, err := os.Stat(d.Host)
		if err != nil || !st.IsDir() {
			w.Close()
			return nil, fmt.Errorf("preopen %s::%s: %s is not a directory", d.Host, d.Guest, d.Host)
		}
		dp, fp := wasmtime.DIR_READ|wasmtime.DIR_WRITE, wasmtime.FILE_READ|wasmtime.FILE_WRITE
		if d.ReadOnly {
			dp, fp = wasmtime.DIR_READ, wasmtime.FILE_READ
		}
		if err := w.PreopenDir(d.Host, d.Guest, dp, fp); err != nil {
			w.Close()
			return nil, fmt.Errorf("preopen %s::%s: %w", d.Host, d.Guest, err)
		}
	}
	if o.Stdout == "" {
		w.InheritStdout()
	} else if err := w.SetStdoutFile(o.Stdout); err != nil {
		w.Close()
		return nil, fmt.Errorf("stdout %s: %w", o.Stdout, err)
	}
	if o.Stderr == "" {
		w.InheritStderr()
	} else if err := w.SetStderrFile(o.Stderr); err != nil {
		w.Close()
		return nil, fmt.Errorf("stderr %s: %w", o.Stderr, err)
	}
	return w, nil
}

// stdinPipe feeds a process's WASI stdin (SpawnOptions.Stdin) through an OS pipe: wasmtime
// reads stdin from a file it opens by path (/proc/self/fd/N of the pipe's read end), and a
// goroutine copies the Reader into the write end. The guest sees end of input when the
// Reader ends. Closing the write end is also how a kill reaches a guest blocked in a read of
// stdin: wasmtime's fd_read is native code no epoch tick interrupts, but it returns (end of
// input) once no writer is left, and the guest's next instruction traps.
type stdinPipe struct {
	r, w   *os.File
	src    io.Reader
	closeW sync.Once
	closeR sync.Once
}

// openStdin points w's stdin at a new pipe; start copies src into it.
func openStdin(w *wasmtime.WasiConfig, src io.Reader) (*stdinPipe, error) {
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("stdin: %w", err)
	}
	if err := w.SetStdinFile(fmt.Sprintf("/proc/self/fd/%d", r.Fd())); err != nil {
		r.Close()
		wr.Close()
		return nil, fmt.Errorf("stdin: %w", err)
	}
	return &stdinPipe{r: r, w: wr, src: src}, nil
}

// start copies the Reader into the pipe until either ends. The goroutine may outlive the
// process while the Reader blocks (a terminal); its next write then fails and it returns.
func (s *stdinPipe) start() {
	if s == nil {
		return
	}
	go func() {
		io.Copy(s.w, s.src)
		s.closeWriter()
	}()
}

// closeWriter ends the guest's input (any number of times, from any goroutine).
func (s *stdinPipe) closeWriter() {
	if s != nil {
		s.closeW.Do(func() { s.w.Close() })
	}
}

// close releases both ends once the process has ended.
func (s *stdinPipe) close() {
	if s != nil {
		s.closeWriter()
		s.closeR.Do(func() { s.r.Close() })
	}
}
