package kernel

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// outputs keeps a process's stdout and stderr open for its whole life, so the code a reload
// brings writes where the first code did. wasmtime opens a WASI output by path when the
// configuration is built, and the path may not outlive the spawn: an embedder capturing output
// passes /proc/self/fd/N of a pipe and closes its own end right after Spawn. So Spawn opens each
// output once more and holds it; a reload's configuration names the held file instead:
// /proc/self/fd/N of it for a pipe or a device (opening those again truncates nothing), and
// for a regular file a pipe of its own that a goroutine copies into the held file, appending
// (wasmtime opens the path with O_TRUNC, which would wipe what the old code wrote).
type outputs struct {
	files  [2]*os.File // stdout, stderr; nil: inherited from the kernel, or not reopenable
	copies sync.WaitGroup
}

// holdOutputs opens the outputs of o again, right after wasiConfig opened them.
func holdOutputs(o SpawnOptions) *outputs {
	h := &outputs{}
	for i, path := range [2]string{o.Stdout, o.Stderr} {
		if path == "" {
			continue
		}
		if f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err == nil {
			h.files[i] = f
		}
	}
	return h
}

// reloadPaths returns the stdout and stderr paths for new code of a process whose outputs
// were o's, and a function to call once the WASI configuration has opened them.
func (h *outputs) reloadPaths(o SpawnOptions) (stdout, stderr string, opened func(), err error) {
	paths := [2]string{o.Stdout, o.Stderr}
	if h == nil {
		return paths[0], paths[1], func() {}, nil
	}
	var ends []*os.File
	opened = func() {
		for _, w := range ends {
			w.Close() // the configuration holds its own
		}
	}
	for i, f := range h.files {
		if f == nil {
			continue
		}
		st, err := f.Stat()
		if err != nil {
			opened()
			return "", "", nil, fmt.Errorf("output %s: %w", paths[i], err)
		}
		if !st.Mode().IsRegular() {
			paths[i] = fmt.Sprintf("/proc/self/fd/%d", f.Fd())
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			opened()
			return "", "", nil, fmt.Errorf("output %s: %w", paths[i], err)
		}
		ends = append(ends, w)
		h.copies.Add(1)
		go func(dst *os.File) { // ends at EOF: when the store holding the write end is closed
			defer h.copies.Done()
			defer r.Close()
			io.Copy(dst, r)
		}(f)
		paths[i] = fmt.Sprintf("/proc/self/fd/%d", w.Fd())
	}
	return paths[0], paths[1], opened, nil
}

// close waits for the copies (every store writing into them is closed by now) and closes the
// held files. Twice is harmless.
func (h *outputs) close() {
	if h == nil {
		return
	}
	h.copies.Wait()
	for i, f := range h.files {
		if f != nil {
			f.Close()
			h.files[i] = nil
		}
	}
}
