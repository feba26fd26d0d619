package main

import (
	"context"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// TestCompleter: installed modules come from the registry's search (by name prefix and by
// description words), module files by name prefix, orbital://admin by its name; names that
// start with the text come first; paths and URLs are not completed.
func TestCompleter(t *testing.T) {
	home := installClockx(t) // clockx@1.0.0, "The clock, under another name, ..."
	c := newCompleter(home, []string{"clock", "life", "paint"})
	names := func(text string) string {
		t.Helper()
		items, err := c.Complete(context.Background(), text)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range items {
			out = append(out, it.Text+"|"+it.Detail)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct{ text, want string }{
		{"cl", "clockx|1.0.0 clock|module file"},
		{"orbital://clo", "orbital://clockx|1.0.0"},
		{"another", "clockx|1.0.0"}, // a word of the description
		{"adm", "orbital://admin|built in"},
		{"pa", "paint|module file"},
		{"./cl", ""},
		{"http://example.org/cl", ""},
		{"  ", ""},
	} {
		if got := names(tc.text); got != tc.want {
			t.Errorf("Complete(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

// TestShellCompletion: typing part of a name in the real shell (Xvfb, real keys) lists what it
// could open under the bar; Down selects the first row and Enter opens it.
func TestShellCompletion(t *testing.T) {
	home := testenv.Home(t)
	sp := startShellHome(t, home)
	sp.waitForBar()
	list := image.Rect(150, e2eTopBarH-6, 800, e2eTopBarH+60) // where the first rows are drawn
	sp.mustXdotool("windowfocus", "--sync", sp.win)
	sp.mustXdotool("key", "--window", sp.win, "ctrl+l")
	sp.mustXdotool("type", "--delay", "15", "cloc")
	sp.waitFor(20*time.Second, "the completion list", func() bool {
		return countLight(sp.screen(), list) > 30 // the row's text
	})
	sp.mustXdotool("key", "Down")
	sp.waitFor(10*time.Second, "the first row selected", func() bool {
		_, n := pixelsOf(sp.screen(), list, e2eAccentSoft)
		return n > 2000
	})
	sp.mustXdotool("key", "Return")
	sp.waitFor(60*time.Second, "the clock window, the list gone", func() bool {
		img := sp.screen()
		f := lightBounds(img, desktop)
		_, n := pixelsOf(img, list, e2eAccentSoft)
		return f.Dx() > 200 && f.Dy() > 200 && n < 100
	})
	sp.running()
}
