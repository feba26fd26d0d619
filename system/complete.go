package system

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/orbital/orbital/registry"
)

// Completion in the URL bar. As the user types a name, the bar lists what it could open, best
// first:
//
//  1. installed modules from the registry's search (bleve over names, tags and descriptions,
//     with prefix and fuzzy matching), named by what the bar opens (NAME, or orbital://NAME
//     when that is what was typed), with version and description;
//  2. module files of the module directories whose name starts with the text (the demos);
//  3. orbital://admin, the admin panel.
//
// Names starting with the text come before other matches. Paths and URLs are not completed.
// A search never waits long on an install in another process: it gives up after 500 ms.

// Completion is one thing the bar could open.
type Completion struct {
	Text        string // what choosing it opens ("clock", "orbital://blurview")
	Name        string
	Detail      string // a version, "module file"
	Description string
}

const completeLimit = 6

// Complete lists what the bar could open for text, best first.
func (in *Instance) Complete(ctx context.Context, text string) ([]Completion, error) {
	q := strings.TrimSpace(text)
	prefix := ""
	if rest, ok := strings.CutPrefix(q, "orbital://"); ok {
		q, prefix = rest, "orbital://"
	}
	if q == "" || strings.ContainsAny(q, `/\:`) || strings.HasSuffix(q, ".wasm") {
		return nil, nil
	}
	lower := strings.ToLower(q)
	var out []Completion
	seen := map[string]bool{}
	add := func(it Completion) {
		if !seen[it.Text] && len(out) < 2*completeLimit {
			seen[it.Text] = true
			out = append(out, it)
		}
	}
	search := *in.reg
	search.LockTimeout = 500 * time.Millisecond
	if hits, err := search.Search(q, 2*completeLimit); err == nil {
		for _, h := range hits {
			add(Completion{Text: prefix + h.Name, Name: h.Name, Detail: h.Version, Description: h.Description})
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if prefix == "" {
		for _, n := range in.WindowModules() {
			if strings.HasPrefix(n, lower) {
				add(Completion{Text: n, Name: n, Detail: "module file"})
			}
		}
	}
	if strings.HasPrefix("admin", lower) || strings.HasPrefix(AdminURL, strings.ToLower(text)) {
		add(Completion{Text: AdminURL, Name: AdminURL, Detail: "built in",
			Description: "every running module and driver, with stop, restart and logs"})
	}
	// Names that start with what was typed first; otherwise the order above (search score).
	slices.SortStableFunc(out, func(a, b Completion) int {
		pa, pb := strings.HasPrefix(strings.ToLower(a.Name), lower), strings.HasPrefix(strings.ToLower(b.Name), lower)
		switch {
		case pa && !pb:
			return -1
		case pb && !pa:
			return 1
		}
		return 0
	})
	return out[:min(len(out), completeLimit)], nil
}

// WindowModules is the package's WindowModules for the instance's home, read once.
func (in *Instance) WindowModules() []string {
	in.windowsOnce.Do(func() { in.windows = WindowModules(in.cfg.Home) })
	return in.windows
}

// WindowModules lists the module files of home's module directories that open a window
// (import orbital.surface_create): what is worth offering on the empty desktop. Services and
// command-line modules draw nothing.
func WindowModules(home string) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range moduleDirs(home) {
		files, _ := filepath.Glob(filepath.Join(d.dir, "*.wasm"))
		for _, f := range files {
			n := strings.TrimSuffix(filepath.Base(f), ".wasm")
			if !seen[n] && opensWindow(f) {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// opensWindow reports whether the module at path imports orbital.surface_create; anything
// unreadable counts as no.
func opensWindow(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	info, err := registry.ReadWasmInfo(b)
	return err == nil && info.HasImport("orbital", "surface_create")
}
