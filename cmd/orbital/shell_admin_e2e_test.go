package main

import (
	"context"
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/system"
)

// TestShellOpensAdminPanel types orbital://admin into the shell's URL bar (real X input) and
// checks from a screenshot of the X display that the panel's table is drawn: a running row for
// the shell itself and one for the panel, then one more once clock is opened beside it.
func TestShellOpensAdminPanel(t *testing.T) {
	testenv.Module(t, "admin")
	sp := startShell(t)
	sp.waitForBar()
	sp.typeInBar(system.AdminURL)
	sp.waitFor(60*time.Second, "the admin table with the shell's and the panel's rows", func() bool {
		return badgeRows(sp.screen()) >= 2
	})
	sp.typeInBar("life")
	sp.waitFor(60*time.Second, "a third row, for life", func() bool {
		return badgeRows(sp.screen()) >= 3
	})
	sp.running()
}

// TestShellAdminRestartBarModule opens clock from the URL bar (real X input), restarts it
// through the admin panel's control socket (the action the panel's Restart button sends) and
// checks the new process runs with output of its own and its window is drawn again. The
// respawn used to reuse the ended process's output pipe and fail with "stdout
// /proc/self/fd/N: failed to open file".
func TestShellAdminRestartBarModule(t *testing.T) {
	sp := startShell(t)
	base := sp.waitForBar()
	sp.typeInBar("clock")
	ctl := admin.ControlClient{Path: admin.ControlSocketPath(sp.home)}
	clock := func() (admin.Proc, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		procs, _, err := ctl.Processes(ctx)
		if err != nil {
			return admin.Proc{}, false
		}
		for _, p := range procs {
			if p.Name == "clock" && (p.State == "running" || p.State == "blocked") {
				return p, true
			}
		}
		return admin.Proc{}, false
	}
	var first admin.Proc
	sp.waitFor(60*time.Second, "clock running", func() bool { var ok bool; first, ok = clock(); return ok })
	desktop := image.Rect(0, e2eTopBarH, base.Bounds().Dx(), base.Bounds().Dy()-e2eStripH)
	sp.waitFor(30*time.Second, "the clock's window", func() bool { n, _ := changed(base, sp.screen(), desktop); return n > 20000 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := ctl.Do(ctx, "restart", first.PID); err != nil {
		t.Fatalf("restart clock (pid %d): %v", first.PID, err)
	}
	var second admin.Proc
	sp.waitFor(30*time.Second, "the restarted clock", func() bool {
		var ok bool
		second, ok = clock()
		return ok && second.PID != first.PID
	})
	if second.Restarts != 1 || !strings.Contains(second.StartedBy, fmt.Sprintf("restart of pid %d", first.PID)) {
		t.Fatalf("restarted row %+v", second)
	}
	if strings.Contains(sp.stderr.String(), "failed to open file") {
		t.Fatalf("the restart reused a closed output:\n%s", sp.stderr.String())
	}
	sp.waitFor(30*time.Second, "the restarted clock's window", func() bool { n, _ := changed(base, sp.screen(), desktop); return n > 20000 })
	sp.running()
}
