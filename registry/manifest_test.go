package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
)

const goodManifest = `name = "imagefx"
version = "1.2.0"
kind = "service"
description = "Image effects"
tags = ["image", "blur"]
entry = "imagefx.wasm"
exports = ["blur", "grayscale", "invert"]

[dependencies]
mathx = "^1.0"

[triggers]
boot = true
topics = ["imagefx.>"]
schedule = ["@every 5m", "@hourly", "0 3 * * 1-5"]
once = "2026-12-24T18:00"
delay = "10m"
repeat = 3

[permissions]
env = { LANG = "C" }

[[permissions.fs]]
host = "~/Pictures"
guest = "/pictures"
mode = "ro"

[permissions.bus]
subscribe = ["imagefx.>"]

[permissions.regions]
max = 4
bytes = "64MiB"

[permissions.limits]
memory = 134217728
deadline = "2s"

[permissions.ui]
windows = true
max_surface = "800x600"
`

func TestParseManifestGood(t *testing.T) {
	m, err := ParseManifest([]byte(goodManifest), "module.toml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "imagefx" || m.Kind != KindService || m.Triggers.Repeat != 3 || m.Dependencies["mathx"] != "^1.0" ||
		!m.Triggers.Boot || m.Permissions.Limits.Memory != "134217728" || m.Permissions.Regions.Bytes != "64MiB" ||
		m.Permissions.UI.MaxSurface != "800x600" || m.Permissions.FS[0].Mode != "ro" {
		t.Fatalf("decoded %+v", m)
	}
	// Round trip through Encode.
	m2, err := ParseManifest(m.Encode(), "again.toml")
	if err != nil {
		t.Fatalf("re-parse of the encoding: %v\n%s", err, m.Encode())
	}
	if !bytes.Equal(m.SigningBytes(), m2.SigningBytes()) {
		t.Fatal("encoding is not stable")
	}
	if !strings.Contains(string(m.RequestsTOML()), "[regions]") {
		t.Fatalf("requests TOML:\n%s", m.RequestsTOML())
	}
}

func TestParseManifestErrors(t *testing.T) {
	cases := []struct {
		name, edit, want string
	}{
		{"bad toml", `version = "1.2.0` + "\n", "module.toml:2: "},
		{"unknown key", "colour = \"red\"\n", "module.toml:1: colour: unknown key"},
		{"unknown nested key", "[permissions.ui]\nwindowz = true\n", "permissions.ui.windowz: unknown key"},
		{"bad semver", `version = "1.2"`, `module.toml:2: version: "1.2" is not a semantic version`},
		{"bad kind", `kind = "plugin"`, `module.toml:3: kind: "plugin": want app, service, library or driver`},
		{"bad range", "[dependencies]\nmathx = \"^^1\"\n", `dependencies.mathx: "^^1" is not a version range`},
		{"bad name", `name = "Image FX"`, `name: "Image FX" is not a module name`},
		{"traversal entry", `entry = "../x.wasm"`, `entry: "../x.wasm" is not a file name`},
		{"bad memory", "[permissions.limits]\nmemory = \"lots\"\n", `permissions.limits.memory: "lots" is not a positive size`},
		{"bad schedule", "[triggers]\nschedule = [\"sometimes\"]\n", "module.toml:6: triggers.schedule"},
		{"four cron fields", "[triggers]\nschedule = [\"0 3 * *\"]\n", "module.toml:6: triggers.schedule: schedule \"0 3 * *\""},
		{"bad cron range", "[triggers]\n\nschedule = [\"0 25 * * *\"]\n", "module.toml:7: triggers.schedule"},
		{"sub-second every", "[triggers]\nschedule = [\"@every 500ms\"]\n", "at least 1s"},
		{"time zone", "[triggers]\nschedule = [\"CRON_TZ=UTC 0 3 * * *\"]\n", "local time"},
		{"unknown trigger", "[triggers]\ncron = \"0 3 * * *\"\n", "module.toml:6: triggers.cron: unknown key"},
		{"bad once", "[triggers]\nonce = \"Christmas\"\n", "module.toml:6: triggers.once"},
		{"repeat without delay", "[triggers]\nonce = \"2026-12-24T18:00\"\nrepeat = 2\n", "triggers.delay: repeat = 2 needs delay"},
		{"repeat without once", "[triggers]\nrepeat = 2\ndelay = \"1m\"\n", "triggers.repeat"},
		{"bad topic", "[triggers]\ntopics = [\"a..b\"]\n", "triggers.topics"},
		{"library trigger", "[triggers]\nboot = true\n", "a library is linked"},
		{"bad restart", "restart = \"sometimes\"\n", "restart: \"sometimes\": want never, on-failure or always"},
		{"self dep", "[dependencies]\nimagefx = \"*\"\n", "cannot depend on itself"},
		{"instances of a library", "instances = 2\n", "module.toml:1: instances: only a service"},
		{"idle of a library", "idle_timeout = \"1m\"\n", "module.toml:1: idle_timeout: only a service"},
		{"too many instances", "kind = \"service\"\ninstances = 99", "module.toml:4: instances: 99: want 1 to 64"},
		{"negative instances", "kind = \"service\"\ninstances = -1", "module.toml:4: instances: -1"},
		{"short idle", "kind = \"service\"\nidle_timeout = \"10ms\"", `module.toml:4: idle_timeout: "10ms": want a duration of at least 1s`},
		{"bad idle", "kind = \"service\"\nidle_timeout = \"soon\"", `idle_timeout: "soon"`},
	}
	base := "name = \"imagefx\"\nversion = \"1.2.0\"\nkind = \"library\"\nentry = \"imagefx.wasm\"\n"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := base
			key, _, _ := strings.Cut(c.edit, " =")
			if !strings.HasPrefix(c.edit, "[") && strings.Contains(base, key+" =") {
				lines := strings.Split(base, "\n")
				for i, l := range lines {
					if strings.HasPrefix(l, key+" =") {
						lines[i] = c.edit
					}
				}
				src = strings.Join(lines, "\n")
			} else if strings.HasPrefix(c.edit, "[") {
				src = base + c.edit
			} else {
				src = c.edit + base
			}
			_, err := ParseManifest([]byte(src), "module.toml")
			if err == nil {
				t.Fatalf("no error for\n%s", src)
			}
			if !errors.Is(err, ErrBadManifest) {
				t.Fatalf("%v is not ErrBadManifest", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q\n%s", err, c.want, src)
			}
		})
	}
}

// tarGz builds an archive from raw headers, for hostile-archive tests.
func tarGz(t testing.TB, entries ...struct {
	h    tar.Header
	body []byte
}) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := e.h
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.body)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

type tarEntry = struct {
	h    tar.Header
	body []byte
}

func reg(name string, body []byte) tarEntry {
	return tarEntry{tar.Header{Name: name, Typeflag: tar.TypeReg}, body}
}

func TestArchiveHostile(t *testing.T) {
	wasm := buildWasm(nil, []string{"f"}, true)
	man := []byte("name = \"x\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = \"x.wasm\"\n")
	zeros := make([]byte, 2<<20)
	cases := []struct {
		name    string
		archive []byte
		lim     ArchiveLimits
		want    string
	}{
		{"dotdot", tarGz(t, reg(ManifestFile, man), reg("../evil", []byte("x"))), ArchiveLimits{}, "leaves the package"},
		{"absolute", tarGz(t, reg("/etc/passwd", []byte("x"))), ArchiveLimits{}, "absolute"},
		{"symlink", tarGz(t, tarEntry{tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, nil}), ArchiveLimits{}, "links are not allowed"},
		{"hardlink", tarGz(t, tarEntry{tar.Header{Name: "l", Typeflag: tar.TypeLink, Linkname: "x"}, nil}), ArchiveLimits{}, "links are not allowed"},
		{"device", tarGz(t, tarEntry{tar.Header{Name: "d", Typeflag: tar.TypeChar}, nil}), ArchiveLimits{}, "not a regular file"},
		{"bomb", tarGz(t, reg("big", zeros)), ArchiveLimits{MaxEntries: 10, MaxFileBytes: 1 << 20, MaxTotal: 4 << 20}, "over the size cap"},
		{"total", tarGz(t, reg("a", zeros), reg("b", zeros), reg("c", zeros)), ArchiveLimits{MaxEntries: 10, MaxFileBytes: 4 << 20, MaxTotal: 5 << 20}, "over the size cap"},
		{"count", tarGz(t, reg("a", nil), reg("b", nil), reg("c", nil)), ArchiveLimits{MaxEntries: 2, MaxFileBytes: 1, MaxTotal: 1}, "more than 2 entries"},
		{"dup", tarGz(t, reg("a", nil), reg("./a", nil)), ArchiveLimits{}, "appears twice"},
		{"not gzip", []byte("hello"), ArchiveLimits{}, "not a gzip file"},
		{"truncated", tarGz(t, reg(ManifestFile, man), reg("x.wasm", wasm))[:60], ArchiveLimits{}, "corrupt archive"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadArchive(bytes.NewReader(c.archive), "pkg.tar.gz", c.lim)
			if !errors.Is(err, ErrBadArchive) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrBadArchive containing %q", err, c.want)
			}
		})
	}
	// A good one, then package-level checks.
	good := tarGz(t, reg(ManifestFile, man), reg("x.wasm", wasm), reg("assets/a.txt", []byte("hi")))
	pkg, err := LoadPackage(good, "good.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Manifest.EntryDigest != Digest(wasm) || pkg.Manifest.Files["assets/a.txt"] != Digest([]byte("hi")) {
		t.Fatalf("digests not filled: %+v", pkg.Manifest)
	}
	noEntry := tarGz(t, reg(ManifestFile, man))
	if _, err := LoadPackage(noEntry, "p"); err == nil || !strings.Contains(err.Error(), `the entry "x.wasm"`) {
		t.Fatalf("missing entry: %v", err)
	}
	wrong := tarGz(t, reg(ManifestFile, append(append([]byte(nil), man...), []byte("entry_digest = \"sha256:"+strings.Repeat("0", 64)+"\"\n")...)), reg("x.wasm", wasm))
	if _, err := LoadPackage(wrong, "p"); !errors.Is(err, ErrDigest) {
		t.Fatalf("wrong digest: %v", err)
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(goodManifest))
	f.Add([]byte("name = \"x\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = \"x.wasm\"\n"))
	f.Add([]byte("[permissions.limits]\nmemory = 5\n"))
	f.Add([]byte("name = 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data, "fuzz.toml")
		if err != nil {
			if !errors.Is(err, ErrBadManifest) {
				t.Fatalf("error not ErrBadManifest: %v", err)
			}
			return
		}
		// Anything accepted must survive its own encoding.
		if _, err := ParseManifest(m.Encode(), "re.toml"); err != nil {
			t.Fatalf("accepted manifest does not re-parse: %v\n%s", err, m.Encode())
		}
	})
}

func FuzzReadArchive(f *testing.F) {
	wasm := buildWasm(nil, []string{"f"}, true)
	man := []byte("name = \"x\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = \"x.wasm\"\n")
	f.Add(tarGz(f, reg(ManifestFile, man), reg("x.wasm", wasm)))
	f.Add(tarGz(f, reg("../evil", []byte("x"))))
	f.Add(tarGz(f, tarEntry{tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "/"}, nil}))
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := ArchiveLimits{MaxEntries: 50, MaxFileBytes: 1 << 20, MaxTotal: 2 << 20}
		files, err := ReadArchive(bytes.NewReader(data), "fuzz.tar.gz", lim)
		if err != nil {
			if !errors.Is(err, ErrBadArchive) {
				t.Fatalf("error not ErrBadArchive: %v", err)
			}
			return
		}
		var total int64
		for name, b := range files {
			if !validFile(name) || strings.Contains(name, "..") {
				t.Fatalf("accepted bad name %q", name)
			}
			total += int64(len(b))
		}
		if len(files) > 50 || total > 2<<20 {
			t.Fatalf("limits not enforced: %d files, %d bytes", len(files), total)
		}
		LoadPackage(data, "fuzz.tar.gz") // must not panic
	})
}

func FuzzReadWasmInfo(f *testing.F) {
	f.Add(buildWasm([]WasmImport{{"imagefx", "blur"}}, []string{"a"}, true))
	f.Add([]byte{0, 'a', 's', 'm', 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		ReadWasmInfo(data) // must not panic
	})
}
