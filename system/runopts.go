package system

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/wasm4"
	"golang.org/x/sys/unix"
)

// ParseDirs reads `orbital run --dir` values, HOST::GUEST or HOST::GUEST:ro, each HOST an
// existing directory.
func ParseDirs(vals []string) ([]kernel.Preopen, error) {
	var out []kernel.Preopen
	for _, v := range vals {
		host, guest, ok := strings.Cut(v, "::")
		if !ok || host == "" || guest == "" {
			return nil, fmt.Errorf("--dir %q: want HOST::GUEST or HOST::GUEST:ro", v)
		}
		p := kernel.Preopen{Host: host, Guest: guest}
		if g, found := strings.CutSuffix(guest, ":ro"); found {
			p.Guest, p.ReadOnly = g, true
		}
		if st, err := os.Stat(host); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--dir %q: %s is not a directory", v, host)
		}
		out = append(out, p)
	}
	return out, nil
}

// CheckEnv checks `orbital run --env` values: each KEY=VALUE with a KEY.
func CheckEnv(vals []string) error {
	for _, kv := range vals {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("--env %q: want KEY=VALUE", kv)
		}
	}
	return nil
}

// ReadInput reads `orbital run --input FILE`, scripted input for WASM-4 carts; nil for "".
func ReadInput(path string) (*wasm4.Script, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--input %s: %w", path, err)
	}
	defer f.Close()
	s, err := wasm4.ParseScript(f)
	if err != nil {
		return nil, fmt.Errorf("--input %s: %w", path, err)
	}
	return s, nil
}

// ForegroundStdin is what `orbital run`'s last target reads as stdin: orbital's own, unless it
// is a terminal this process does not own (run in the background of a shell), where reading
// would stop orbital with SIGTTIN even for a module that never reads.
func ForegroundStdin() io.Reader {
	if pg, err := unix.IoctlGetInt(0, unix.TIOCGPGRP); err == nil && pg != unix.Getpgrp() {
		return nil
	}
	return os.Stdin
}
