package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/policies"
)

// TestShellAskAtTheDoor: a running module that policy refuses the clipboard is asked about in
// the real shell (Xvfb, real key presses and clicks): Allow once lets that run read it, Deny
// refuses it (audited), Always writes a policy file, and the next run is not asked. clipprobe
// opens no window, so each run gets a console window; what it prints is read from the log
// book (sp.output).
func TestShellAskAtTheDoor(t *testing.T) {
	home := testenv.Home(t) // no policy for clipprobe
	testenv.Module(t, "clipprobe")
	sp := startShellHome(t, home)
	sp.waitForBar()
	const read = `clipboard: ""` // what clipprobe prints when it may read the (empty) clipboard
	ask := func(what string) {
		t.Helper()
		sp.typeInBar("clipprobe")
		sp.waitFor(60*time.Second, "the question about the clipboard ("+what+")", func() bool {
			return promptShown(sp.screen())
		})
	}

	ask("allow once")
	sp.mustXdotool("key", "Return") // Enter: allow once
	sp.waitFor(30*time.Second, "clipprobe reading the clipboard", func() bool {
		return strings.Count(sp.output(), read) == 1
	})

	ask("deny") // a new run: allow once was for the last one only
	sp.mustXdotool("key", "Escape")
	sp.waitFor(30*time.Second, "clipprobe refused", func() bool {
		return strings.Contains(sp.output(), "ERR_DENIED")
	})
	recs, err := policies.ReadAudit(filepath.Join(home, "audit.log"))
	if err != nil || len(recs) == 0 || recs[len(recs)-1].Module != "clipprobe" || recs[len(recs)-1].Op != "clipboard" {
		t.Fatalf("the denial is not in the audit log: %+v, %v", recs, err)
	}

	ask("always")
	always, _ := pixelsOf(sp.screen(), promptCard, e2eAccentSoft)
	sp.click(centre(always))
	sp.waitFor(30*time.Second, "clipprobe reading the clipboard again", func() bool {
		return strings.Count(sp.output(), read) == 2
	})
	pol, err := os.ReadFile(filepath.Join(home, "policies", "clipprobe.toml"))
	if err != nil || !strings.Contains(string(pol), "clipboard = true") {
		t.Fatalf("Always allow did not write the grant: %v\n%s", err, pol)
	}

	sp.typeInBar("clipprobe") // granted now: read without a question
	sp.waitFor(30*time.Second, "a third read, unasked", func() bool {
		return strings.Count(sp.output(), read) == 3
	})
	if promptShown(sp.screen()) {
		t.Fatal("asked again although the policy grants the clipboard")
	}
	sp.running()
}
