package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// End-to-end tests of the clipboard door (clipboard_read / clipboard_write, policy grant
// ui.clipboard): headless `orbital run` with its in-memory clipboard, and the real shell on
// Xvfb, whose clipboard is the X CLIPBOARD selection, set and read from outside with xclip.

// clipHome returns a home with policy files (name -> TOML).
func clipHome(t *testing.T, files map[string]string) string {
	t.Helper()
	home := testenv.Home(t)
	for name, src := range files {
		writeFile(t, filepath.Join(home, "policies", name), src)
	}
	return home
}

const clipGrant = "[module]\nmatch = \"clipprobe\"\n[ui]\nclipboard = true\n"

// TestClipboardRunShared: two modules of one `orbital run` share its clipboard: clipwait (a
// copy of clipprobe under another name, so it has its own policy and arguments) polls until
// the clipboard holds what clipprobe writes.
func TestClipboardRunShared(t *testing.T) {
	const text = "shared ✓ across modules"
	home := clipHome(t, map[string]string{
		"clipprobe.toml": clipGrant,
		"clipwait.toml":  "[module]\nmatch = \"clipwait\"\n[process]\nargs = [\"-wait\", \"" + text + "\"]\n[ui]\nclipboard = true\n",
	})
	wasm, err := os.ReadFile(testenv.Module(t, "clipprobe"))
	if err != nil {
		t.Fatal(err)
	}
	waiter := filepath.Join(t.TempDir(), "clipwait.wasm")
	if err := os.WriteFile(waiter, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := orbital(t, home, waiter, "clipprobe", "--", text)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{`clipboard: ""`, `clipboard now: "` + text + `"`, `clipboard: "` + text + `"`} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("stdout lacks %s:\n%s", want, out)
		}
	}
}

// TestClipboardRunDenied: without the grant clipprobe is refused (its exit code 3), the kernel
// log says how to grant it, and `orbital audit` shows the denial.
func TestClipboardRunDenied(t *testing.T) {
	home := clipHome(t, map[string]string{
		"clipprobe.toml": "[module]\nmatch = \"clipprobe\"\n[ui]\nwindows = true\n",
	})
	out, errOut, code := orbital(t, home, "clipprobe", "--", "not allowed")
	if code != 3 {
		t.Fatalf("exit %d, want 3 (denied)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"ERR_DENIED", "`[ui] clipboard = true` in a policy file matching clipprobe"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	audit, _, code := orbitalCmd(t, "audit", "--home", home, "--module", "clipprobe")
	if code != 0 {
		t.Fatalf("orbital audit: exit %d", code)
	}
	var rows []string
	for _, ln := range strings.Split(strings.TrimSpace(audit), "\n")[1:] {
		rows = append(rows, strings.Join(strings.Fields(ln)[3:6], " ")) // module op object
	}
	if len(rows) != 1 || rows[0] != "clipprobe clipboard read" {
		t.Fatalf("audit rows %q, want one clipboard read denial:\n%s", rows, audit)
	}
}

// xclipCmd runs xclip on the test's display.
func xclipCmd(display string, args ...string) *exec.Cmd {
	cmd := exec.Command("xclip", append([]string{"-selection", "clipboard"}, args...)...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	return cmd
}

// TestClipboardShellX11: in the real shell a module reads what another X client put on the
// CLIPBOARD selection, and what it writes is pasted by other X clients.
func TestClipboardShellX11(t *testing.T) {
	if _, err := exec.LookPath("xclip"); err != nil {
		t.Fatalf("xclip is not installed (make deps installs it): %v", err)
	}
	const fromX, fromModule = "from X11 ☃ (xclip)", "from orbital ✓"
	home := clipHome(t, map[string]string{
		"clipprobe.toml": clipGrant + "[process]\nargs = [\"" + fromModule + "\"]\n",
	})
	testenv.Module(t, "clipprobe") // beside the demos startShellHome points the shell at
	sp := startShellHome(t, home)

	// Another X client owns the clipboard: xclip in the foreground serves it until it loses
	// the selection (to the shell, below).
	owner := xclipCmd(sp.display, "-i", "-quiet")
	owner.Stdin = strings.NewReader(fromX)
	var ownerOut testenv.SyncBuffer
	owner.Stdout, owner.Stderr = &ownerOut, &ownerOut
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	ownerDone := make(chan error, 1)
	go func() { ownerDone <- owner.Wait() }()
	t.Cleanup(func() {
		owner.Process.Signal(syscall.SIGTERM)
		<-ownerDone
	})
	paste := func() string {
		out, err := xclipCmd(sp.display, "-o").Output()
		if err != nil {
			return "xclip -o: " + err.Error()
		}
		return string(out)
	}
	sp.waitFor(10*time.Second, "xclip to own the clipboard", func() bool { return paste() == fromX })

	// clipprobe opens no window: it gets a console, and its output goes there and into the
	// log book (sp.output), not to the shell's terminal.
	sp.typeInBar("clipprobe")
	sp.waitFor(20*time.Second, "clipprobe's output", func() bool {
		return strings.Contains(sp.output(), `clipboard now: "`+fromModule+`"`)
	})
	if out := sp.output(); !strings.Contains(out, `clipboard: "`+fromX+`"`) {
		t.Errorf("clipprobe did not read the X clipboard; its output:\n%s", out)
	}
	// The shell owns the selection now and serves it to other X clients; xclip lost it and
	// exits.
	if got := paste(); got != fromModule {
		t.Errorf("xclip -o after the module's write: %q, want %q", got, fromModule)
	}
	select {
	case <-ownerDone:
		ownerDone <- nil // for the cleanup
	case <-time.After(5 * time.Second):
		t.Errorf("xclip still runs: it did not lose the selection to the shell (%s)", ownerOut.String())
	}
}
