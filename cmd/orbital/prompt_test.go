package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/orbital/orbital/policies"
)

func TestPermissionLines(t *testing.T) {
	hd, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	g := &policies.Grants{
		FS: []policies.Preopen{
			{Host: filepath.Join(hd, "Pictures"), Guest: "/pictures", Mode: policies.ReadWrite},
			{Host: "/srv/data", Guest: "/data", Mode: policies.ReadOnly},
		},
		Env:       []policies.Rule{{Value: "TZ=Europe/Paris"}},
		Publish:   []policies.Rule{{Value: "camera.*.frame"}},
		Subscribe: []policies.Rule{{Value: "clock.tick"}},
		Devices:   []policies.Rule{{Value: "camera"}},
		Net:       []policies.Rule{{Value: "example.org:443"}},
		Windows:   policies.Flag{On: true},
		MaxWidth:  policies.Limit{N: 1920},
		MaxHeight: policies.Limit{N: 1080},
		Clipboard: policies.Flag{On: true},
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
	if got := permissionLines(g); !slices.Equal(got, want) {
		t.Fatalf("permissionLines:\n got %q\nwant %q", got, want)
	}
	if got := permissionLines(&policies.Grants{Windows: policies.Flag{On: true}}); !slices.Equal(got, []string{"Open windows"}) {
		t.Fatalf("windows without a size: %q", got)
	}
}
