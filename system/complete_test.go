package system

import (
	"context"
	"strings"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
)

// TestCompleter: installed modules come from the registry's search (by name prefix and by
// description words), module files by name prefix, orbital://admin by its name; names that
// start with the text come first; paths and URLs are not completed.
func TestCompleter(t *testing.T) {
	home := testenv.Home(t)
	installAs(t, home, "hello", "clockx", "description = \"The clock, under another name, with no policy of its own\"\n")
	c, _ := start(t, Config{Home: home})
	c.windowsOnce.Do(func() { c.windows = []string{"clock", "life", "paint"} })
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
