package kernel

import (
	"fmt"
	"os"
	"strings"

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
	w.SetEnv(keys, vals)
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
