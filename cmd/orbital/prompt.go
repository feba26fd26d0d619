package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/shell"
)

// The shell's permission prompt: the first time a module opened from the URL bar asks (in its
// installed manifest) for more than policy grants, the shell asks the user. Allow once adds
// the missing grants to this run only (SpawnOptions.Grants); Always allow writes them to a
// policy file in <home>/policies that the user can read and edit; Deny opens the module
// anyway with what policy grants, as a browser loads the page without the permission (the
// module then gets ERR_DENIED, audited, for the rest). A Deny is remembered in the home
// (policies.Denials, $ORBITAL_HOME/state/denied.json) for that version of the module, so it
// is not asked again, in this session or the next, unless it asks for something new;
// `orbital policy forget NAME` makes the shell ask again.

// askPermissions asks about what so.Requests asks beyond policy and adjusts so to the answer.
// It returns a one-line notice for the bar ("" for none), the permissions denied (now or
// earlier in this session; a failure to start names them), or ctx's error if the open was
// cancelled while the prompt was up.
func (h *shellHost) askPermissions(ctx context.Context, so *kernel.SpawnOptions, digest string) (note, denied string, err error) {
	st := h.k.Policies()
	if h.prompt == nil || st == nil || so.Requests == nil {
		return "", "", nil
	}
	ns, err := st.Resolve(policies.Identity{Name: so.Name, Publisher: so.Publisher, Requests: so.Requests})
	if err != nil || ns.Refused != nil {
		return "", "", nil // the kernel refuses the spawn with the policy's own message
	}
	missing := policies.Missing(so.Requests, ns)
	if missing.Empty() {
		return "", "", nil
	}
	lines := permissionLines(missing)
	if prev, ok := h.deniedBefore(so.Name, digest); ok && covers(prev, lines) {
		return "", strings.Join(lines, ", "), nil
	}
	choice, err := h.prompt(ctx, shell.PermissionPrompt{Module: so.Name, Lines: lines})
	if err != nil {
		if ctx.Err() != nil {
			return "", "", context.Canceled
		}
		return "", "", err
	}
	switch choice {
	case shell.ChoiceAllowOnce:
		so.Grants = missing
		return "", "", nil
	case shell.ChoiceAlways:
		path, err := policies.WriteAlways(st.Dir(), so.Name, ns, missing)
		if err != nil {
			return "", "", fmt.Errorf("allow %s always: %w", so.Name, err)
		}
		if _, err := st.Reload(); err != nil {
			// The file is written but does not load: grant this run and say what to fix.
			so.Grants = missing
			return fmt.Sprintf("Saved %s, but it does not load: %v", tildePath(path), err), "", nil
		}
		return "Saved " + tildePath(path), "", nil
	default:
		d := strings.Join(lines, ", ")
		note := fmt.Sprintf("Denied %s: %s (running with what its policy grants)", so.Name, d)
		if err := h.rememberDenial(so.Name, digest, lines); err != nil {
			note += "; not remembered: " + err.Error()
		}
		return note, d, nil
	}
}

// deniedBefore returns what the user denied name@digest earlier, if anything.
func (h *shellHost) deniedBefore(name, digest string) ([]string, bool) {
	if h.denials != nil {
		e, ok := h.denials.Denied(name, digest)
		return e.Lines, ok
	}
	h.promptMu.Lock()
	defer h.promptMu.Unlock()
	lines, ok := h.denied[name+"@"+digest]
	return lines, ok
}

// rememberDenial keeps a Deny answer (in the home when there are denials to keep it in).
func (h *shellHost) rememberDenial(name, digest string, lines []string) error {
	if h.denials != nil {
		return h.denials.Add(policies.Denial{Module: name, Digest: digest, Lines: lines, Time: time.Now()})
	}
	h.promptMu.Lock()
	defer h.promptMu.Unlock()
	if h.denied == nil {
		h.denied = map[string][]string{}
	}
	h.denied[name+"@"+digest] = lines
	return nil
}

// covers reports whether every line of want was among the lines denied before: a module that
// now asks for something more is asked again.
func covers(denied, want []string) bool {
	for _, w := range want {
		if !slices.Contains(denied, w) {
			return false
		}
	}
	return true
}

// deniedStart adds what the user denied to a failure to start: the likely reason.
func deniedStart(err error, denied string) error {
	if denied == "" {
		return err
	}
	return fmt.Errorf("%w (you denied it: %s)", err, denied)
}

// tildePath shows p with the user's home as ~.
func tildePath(p string) string {
	if hd, err := os.UserHomeDir(); err == nil && hd != "" && hd != "/" {
		if rel, err := filepath.Rel(hd, p); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			return "~/" + rel
		}
	}
	return p
}

// permissionLines says what g grants in plain words, one line per permission.
func permissionLines(g *policies.Grants) []string {
	var out []string
	add := func(format string, rules []policies.Rule) {
		for _, r := range rules {
			out = append(out, fmt.Sprintf(format, r.Value))
		}
	}
	for _, p := range g.FS {
		verb := "Read"
		if p.Mode == policies.ReadWrite {
			verb = "Read and write"
		}
		if p.Host != "" {
			out = append(out, fmt.Sprintf("%s %s (host %s)", verb, p.Guest, tildePath(p.Host)))
		} else {
			out = append(out, fmt.Sprintf("%s %s", verb, p.Guest))
		}
	}
	for _, r := range g.Env {
		name, _, _ := strings.Cut(r.Value, "=")
		out = append(out, "Read the environment variable "+name)
	}
	add("Publish on %s", g.Publish)
	add("Listen on %s", g.Subscribe)
	add("Send requests on %s", g.Request)
	if g.Direct.On {
		out = append(out, "Send messages directly to other processes")
	}
	if g.RegionCount.N > 0 {
		out = append(out, fmt.Sprintf("Share memory regions (up to %d at once)", g.RegionCount.N))
	}
	add("Use the %s device", g.Devices)
	add("Connect to %s", g.Net)
	add("Start the module %s", g.Spawn)
	if g.Windows.On {
		if g.MaxWidth.N > 0 && g.MaxHeight.N > 0 {
			out = append(out, fmt.Sprintf("Open windows up to %dx%d", g.MaxWidth.N, g.MaxHeight.N))
		} else {
			out = append(out, "Open windows")
		}
	}
	if g.Clipboard.On {
		out = append(out, "Use the clipboard")
	}
	return out
}
