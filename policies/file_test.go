package policies

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testExpand = Expand{UserHome: "/home/u", OrbitalHome: "/orb"}

const fullPolicy = `# every table
[module]
match = "camera-viewer"

[[fs]]
host = "~/Pictures"
guest = "/pictures"
mode = "ro"

[[fs]]
host = "$ORBITAL_HOME/data/cv"
guest = "/data"
mode = "rw"

[env]
LANG = "C.UTF-8"

[process]
args = ["--fast"]
spawn = ["imagefx"]

[bus]
publish = [
  "camera.*.frame",
  "ui.toast",
]
subscribe = ["input.>"]
request = ["camera.list"]
direct = true

[regions]
max = 4
bytes = "64MiB"

[devices]
use = ["camera"]

[net]
allow = ["example.org:443"]

[limits]
memory = "64MiB"
deadline = "2s"
fuel = 1000
cpu = "25%"

[ui]
windows = true
max_surface = "1920x1080"
clipboard = true
`

func TestParseFull(t *testing.T) {
	p, err := Parse("cv.toml", []byte(fullPolicy), testExpand)
	if err != nil {
		t.Fatal(err)
	}
	g := p.Grants
	if p.Match != "camera-viewer" || p.MatchLine != 3 {
		t.Errorf("match %q line %d", p.Match, p.MatchLine)
	}
	want := []Preopen{
		{Host: "/home/u/Pictures", Guest: "/pictures", Mode: ReadOnly, Src: Source{"cv.toml", 6}},
		{Host: "/orb/data/cv", Guest: "/data", Mode: ReadWrite, Src: Source{"cv.toml", 11}},
	}
	if len(g.FS) != 2 || g.FS[0] != want[0] || g.FS[1] != want[1] {
		t.Errorf("fs = %+v, want %+v", g.FS, want)
	}
	checkRules(t, "publish", g.Publish, "camera.*.frame@24", "ui.toast@25")
	checkRules(t, "subscribe", g.Subscribe, "input.>@27")
	checkRules(t, "env", g.Env, "LANG=C.UTF-8@16")
	checkRules(t, "spawn", g.Spawn, "imagefx@20")
	checkRules(t, "net", g.Net, "example.org:443@39")
	if g.Memory.N != 64<<20 || g.Memory.Src.Line != 42 || g.Deadline.N != int64(2*time.Second) || g.Fuel.N != 1000 || g.CPU.N != 25 || g.CPU.Src.Line != 45 {
		t.Errorf("limits = %+v %+v %+v %+v", g.Memory, g.Deadline, g.Fuel, g.CPU)
	}
	if !g.Windows.On || g.MaxWidth.N != 1920 || g.MaxHeight.N != 1080 || !g.Clipboard.On || !g.Direct.On {
		t.Errorf("ui/direct = %+v %+v %+v %+v", g.Windows, g.MaxWidth, g.MaxHeight, g.Direct)
	}
	if g.RegionCount.N != 4 || g.RegionBytes.N != 64<<20 {
		t.Errorf("regions = %+v %+v", g.RegionCount, g.RegionBytes)
	}
}

func checkRules(t *testing.T, what string, rs []Rule, want ...string) {
	t.Helper()
	var got []string
	for _, r := range rs {
		got = append(got, r.Value+"@"+itoa(r.Src.Line))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line      int
		key, msg  string
	}{
		{"syntax", "[module]\nmatch = \"a\"\n[bus\n", 3, "", "expected"},
		{"syntax mid", "[module]\nmatch = \"a\"\n[bus]\npublish = [\"a\" \"b\"]\n", 4, "", "expected"},
		{"unknown key", "[module]\nmatch = \"a\"\n[bus]\npublish = [\"x\"]\npublsh = [\"y\"]\n", 5, "bus.publsh", "unknown key"},
		{"unknown table", "[module]\nmatch = \"a\"\n[gpu]\nuse = true\n", 3, "gpu", "unknown key"},
		{"unknown fs key", "[module]\nmatch = \"a\"\n[[fs]]\nhost = \"/a\"\nguest = \"/a\"\nmode = \"ro\"\n[[fs]]\nhost = \"/b\"\nguest = \"/b\"\nmode = \"ro\"\nmod = \"rw\"\n", 11, "fs.mod", "unknown key"},
		{"no match", "[bus]\npublish = [\"x\"]\n", 0, "module.match", "missing"},
		{"bad glob", "[module]\nmatch = \"a[\"\n", 2, "module.match", "glob"},
		{"bad mode", "[module]\nmatch = \"a\"\n[[fs]]\nhost = \"/a\"\nguest = \"/a\"\nmode = \"ro\"\n[[fs]]\nhost = \"/b\"\nguest = \"/b\"\nmode = \"wr\"\n", 10, "fs.1.mode", `"ro" or "rw"`},
		{"relative host", "[module]\nmatch = \"a\"\n[[fs]]\nhost = \"pics\"\nguest = \"/p\"\nmode = \"ro\"\n", 4, "fs.0.host", "absolute"},
		{"relative guest", "[module]\nmatch = \"a\"\n[[fs]]\nhost = \"/pics\"\nguest = \"p\"\nmode = \"ro\"\n", 5, "fs.0.guest", "absolute"},
		{"bad topic", "[module]\nmatch = \"a\"\n[bus]\npublish = [\n  \"ok\",\n  \"a..b\",\n]\n", 6, "bus.publish", "empty token"},
		{"bad size", "[module]\nmatch = \"a\"\n[limits]\nmemory = \"lots\"\n", 4, "limits.memory", "positive size"},
		{"cpu zero", "[module]\nmatch = \"a\"\n[limits]\ncpu = \"0%\"\n", 4, "limits.cpu", "share of one core"},
		{"cpu over", "[module]\nmatch = \"a\"\n[limits]\ncpu = \"150%\"\n", 4, "limits.cpu", "share of one core"},
		{"cpu no unit", "[module]\nmatch = \"a\"\n[limits]\ncpu = \"25\"\n", 4, "limits.cpu", "share of one core"},
		{"bad deadline", "[module]\nmatch = \"a\"\n[limits]\ndeadline = \"-1s\"\n", 4, "limits.deadline", "duration"},
		{"bad surface", "[module]\nmatch = \"a\"\n[ui]\nwindows = true\nmax_surface = \"big\"\n", 5, "ui.max_surface", "WIDTHxHEIGHT"},
		{"bad net", "[module]\nmatch = \"a\"\n[net]\nallow = [\"example.org\"]\n", 4, "net.allow", "host:port"},
		{"bad env", "[module]\nmatch = \"a\"\n[env]\n\"A-B\" = \"x\"\n", 4, "env.A-B", "environment variable"},
		{"wrong type", "[module]\nmatch = \"a\"\n[bus]\npublish = \"x\"\n", 4, "bus.publish", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("p.toml", []byte(tc.src), testExpand)
			var fes FileErrors
			if !errors.As(err, &fes) || len(fes) == 0 {
				t.Fatalf("err = %v, want FileErrors", err)
			}
			if p == nil || p.Err == nil {
				t.Fatalf("policy not marked broken")
			}
			e := fes[0]
			if e.File != "p.toml" || e.Line != tc.line || (tc.key != "" && e.Key != tc.key) || !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("got %q (line %d key %q), want line %d key %q msg ~%q", e.Error(), e.Line, e.Key, tc.line, tc.key, tc.msg)
			}
		})
	}
}

func TestBrokenFileRecoversMatch(t *testing.T) {
	p, _ := Parse("p.toml", []byte("[module]\nmatch = \"hello\"\n[bus]\npublish = [\"a\"\n"), testExpand)
	if p.Err == nil || p.Match != "hello" || p.MatchLine != 2 {
		t.Fatalf("policy = %+v", p)
	}
}

func TestDefaultsParse(t *testing.T) {
	ds := Defaults(testExpand)
	if len(ds) < 10 {
		t.Fatalf("only %d built-in policies", len(ds))
	}
	for _, p := range ds {
		if p.Err != nil {
			t.Errorf("%s: %v", p.File, p.Err)
		}
		if want := strings.TrimSuffix(strings.TrimPrefix(p.File, BuiltinPrefix), ".toml"); p.Match != want {
			t.Errorf("%s matches %q", p.File, p.Match)
		}
	}
}

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{"64MiB": 64 << 20, "1GiB": 1 << 30, "512KiB": 512 << 10, "100": 100, "2MB": 2000000, "7B": 7} {
		if got, err := ParseSize(s); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
		if got, _ := ParseSize(FormatSize(want)); got != want {
			t.Errorf("FormatSize(%d) = %q does not round-trip", want, FormatSize(want))
		}
	}
	for _, s := range []string{"", "0", "-1MiB", "MiB", "1.5GiB", "99999999999GiB"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) accepted", s)
		}
	}
}

// FuzzParse: the parser never panics, and a file it accepts has every grant well-formed.
func FuzzParse(f *testing.F) {
	f.Add([]byte(fullPolicy))
	for _, p := range Defaults(testExpand) {
		data, _ := DefaultSource(strings.TrimPrefix(p.File, BuiltinPrefix))
		f.Add(data)
	}
	if seeds, _ := filepath.Glob("testdata/policies/*.toml"); len(seeds) > 0 {
		for _, s := range seeds {
			data, _ := os.ReadFile(s)
			f.Add(data)
		}
	}
	f.Add([]byte("[module]\nmatch = \"a\"\n[bus]\npublish = ['''x\n]'''\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f.toml", data, testExpand)
		if p == nil {
			t.Fatal("nil policy")
		}
		if (err == nil) != (p.Err == nil) {
			t.Fatalf("err %v vs p.Err %v", err, p.Err)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "f.toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if p.Match == "" {
			t.Fatal("accepted without a match")
		}
		for _, r := range append(append(p.Grants.Publish, p.Grants.Subscribe...), p.Grants.Request...) {
			if ValidPattern(r.Value) != nil {
				t.Fatalf("accepted bad pattern %q", r.Value)
			}
		}
		for _, fs := range p.Grants.FS {
			if !filepath.IsAbs(fs.Host) || !filepath.IsAbs(fs.Guest) || (fs.Mode != ReadOnly && fs.Mode != ReadWrite) {
				t.Fatalf("accepted bad preopen %+v", fs)
			}
		}
	})
}
