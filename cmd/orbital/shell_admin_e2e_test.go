package main

import (
	"testing"
	"time"

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
