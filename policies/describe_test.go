package policies

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestDescribe checks the lines of a permission prompt, one per permission, in kinds order.
func TestDescribe(t *testing.T) {
	hd, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	g := &Grants{
		FS: []Preopen{
			{Host: filepath.Join(hd, "Pictures"), Guest: "/pictures", Mode: ReadWrite},
			{Host: "/srv/data", Guest: "/data", Mode: ReadOnly},
		},
		Env:       []Rule{{Value: "TZ=Europe/Paris"}},
		Publish:   []Rule{{Value: "camera.*.frame"}},
		Subscribe: []Rule{{Value: "clock.tick"}},
		Devices:   []Rule{{Value: "camera"}},
		Net:       []Rule{{Value: "example.org:443"}},
		Windows:   Flag{On: true},
		MaxWidth:  Limit{N: 1920},
		MaxHeight: Limit{N: 1080},
		Clipboard: Flag{On: true},
	}
	want := []string{
		"Read and write /pictures (host ~/Pictures)",
		"Read /data (host /srv/data)",
		"Read the environment variable TZ",
		"Publish on camera.*.frame",
		"Listen on clock.tick",
		"Use the camera device",
		"Connect to example.org:443",
		"Open windows up to 1920x1080",
		"Use the clipboard",
	}
	if got := Describe(g); !slices.Equal(got, want) {
		t.Fatalf("Describe:\n got %q\nwant %q", got, want)
	}
	if got := Describe(&Grants{Windows: Flag{On: true}}); !slices.Equal(got, []string{"Open windows"}) {
		t.Fatalf("windows without a size: %q", got)
	}
}
