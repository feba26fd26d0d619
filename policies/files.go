package policies

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// writeFlags are the open flags that need a read-write preopen.
const writeFlags = os.O_WRONLY | os.O_RDWR | os.O_CREATE | os.O_TRUNC | os.O_APPEND

// OpenFile opens a guest path on the host for host-side work done on a module's behalf (a host
// function reading an image the module names, say). The path must lie in one of the
// namespace's preopens, and a write needs a read-write one. The file is opened through
// os.Root at the preopen's host directory, so "..", absolute paths and symlinks cannot leave
// it. Guests' own file access goes through WASI, which wasmtime confines the same way.
func (n *Namespace) OpenFile(guestPath string, flag int, perm fs.FileMode) (*os.File, error) {
	op := "read"
	if flag&writeFlags != 0 {
		op = "write"
	}
	var best *Preopen
	for i := range n.Preopens() {
		p := &n.Grants.FS[i]
		g := strings.TrimSuffix(p.Guest, "/")
		if (guestPath == g || strings.HasPrefix(guestPath, g+"/")) && (best == nil || len(p.Guest) > len(best.Guest)) {
			best = p
		}
	}
	if best == nil {
		return nil, &DeniedError{Module: n.Module, Op: OpFS, Object: op + " " + guestPath, Rule: n.denyRule(OpFS, guestPath)}
	}
	if op == "write" && best.Mode != ReadWrite {
		return nil, &DeniedError{Module: n.Module, Op: OpFS, Object: op + " " + guestPath,
			Rule: fmt.Sprintf("fs %s -> %s is read-only (%s)", best.Host, best.Guest, best.Src)}
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(guestPath, strings.TrimSuffix(best.Guest, "/")), "/")
	if rel == "" {
		rel = "."
	}
	root, err := os.OpenRoot(best.Host)
	if err != nil {
		return nil, fmt.Errorf("policies: preopen %s: %w", best.Host, err)
	}
	defer root.Close()
	return root.OpenFile(rel, flag, perm)
}
