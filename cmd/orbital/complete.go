package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/orbital/orbital/registry"
	"github.com/orbital/orbital/shell"
)

// Completion in the URL bar (shell.Completer). As the user types a name, the bar lists what it
// could open, best first:
//
//  1. installed modules from the registry's search (bleve over names, tags and descriptions,
//     with prefix and fuzzy matching), named by what the bar opens (NAME, or
//     orbital://NAME when that is what was typed), with version and description;
//  2. module files of the module directories whose name starts with the text (the demos);
//  3. orbital://admin, the admin panel.
//
// Names starting with the text come before other matches. Paths and URLs are not completed.
// The registry holds no open files between calls, so searching while `orbital install` runs
// in another process is safe; a search that finds the registry busy returns nothing.

// completer answers the bar's completions for one home.
type completer struct {
	reg   *registry.Registry // nil: no registry in this home
	files []string           // module files that open windows (moduleNames)
}

func newCompleter(home string, files []string) *completer {
	c := &completer{files: files}
	if reg, err := registry.Open(home); err == nil {
		reg.LockTimeout = 500 * time.Millisecond // a completion never waits long on an install
		c.reg = reg
	}
	return c
}

const completeLimit = 6

// Complete implements shell.Completer (through shellHost).
func (c *completer) Complete(ctx context.Context, text string) ([]shell.Completion, error) {
	q := strings.TrimSpace(text)
	prefix := ""
	if rest, ok := strings.CutPrefix(q, "orbital://"); ok {
		q, prefix = rest, "orbital://"
	}
	if q == "" || strings.ContainsAny(q, `/\:`) || strings.HasSuffix(q, ".wasm") {
		return nil, nil
	}
	lower := strings.ToLower(q)
	var out []shell.Completion
	seen := map[string]bool{}
	add := func(it shell.Completion) {
		if !seen[it.Text] && len(out) < 2*completeLimit {
			seen[it.Text] = true
			out = append(out, it)
		}
	}
	if c.reg != nil {
		if hits, err := c.reg.Search(q, 2*completeLimit); err == nil {
			for _, h := range hits {
				add(shell.Completion{Text: prefix + h.Name, Name: h.Name, Detail: h.Version, Description: h.Description})
			}
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if prefix == "" {
		for _, n := range c.files {
			if strings.HasPrefix(n, lower) {
				add(shell.Completion{Text: n, Name: n, Detail: "module file"})
			}
		}
	}
	if strings.HasPrefix("admin", lower) || strings.HasPrefix("orbital://admin", strings.ToLower(text)) {
		add(shell.Completion{Text: "orbital://admin", Name: "orbital://admin", Detail: "built in",
			Description: "every running module and driver, with stop, restart and logs"})
	}
	// Names that start with what was typed first; otherwise the order above (search score).
	slices.SortStableFunc(out, func(a, b shell.Completion) int {
		pa, pb := strings.HasPrefix(strings.ToLower(a.Name), lower), strings.HasPrefix(strings.ToLower(b.Name), lower)
		switch {
		case pa && !pb:
			return -1
		case pb && !pa:
			return 1
		}
		return 0
	})
	if len(out) > completeLimit {
		out = out[:completeLimit]
	}
	return out, nil
}
