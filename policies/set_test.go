package policies

import (
	"errors"
	"strings"
	"testing"
)

func mustParse(t *testing.T, file, src string) *Policy {
	t.Helper()
	p, err := Parse(file, []byte(src), testExpand)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLookupPrecedence(t *testing.T) {
	builtin := mustParse(t, "built-in:hello.toml", "[module]\nmatch = \"hello\"\n")
	builtin.Builtin = true
	userName := mustParse(t, "user-hello.toml", "[module]\nmatch = \"hello\"\n")
	pub := mustParse(t, "pub.toml", "[module]\nmatch = \"publisher:abc\"\n")
	globShort := mustParse(t, "g1.toml", "[module]\nmatch = \"*\"\n")
	globLong := mustParse(t, "g2.toml", "[module]\nmatch = \"hel*\"\n")
	set := &Set{Policies: []*Policy{globShort, globLong, pub, builtin, userName}}
	for _, tc := range []struct {
		name string
		id   Identity
		want string
	}{
		{"user name beats built-in", Identity{Name: "hello", Publisher: "abc"}, "user-hello.toml"},
		{"publisher beats glob", Identity{Name: "help", Publisher: "abc"}, "pub.toml"},
		{"longer glob wins", Identity{Name: "help"}, "g2.toml"},
		{"catch-all glob", Identity{Name: "zzz"}, "g1.toml"},
		{"publisher needs a key", Identity{Name: "zzz", Publisher: ""}, "g1.toml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := set.Lookup(tc.id)
			if err != nil || p == nil || p.File != tc.want {
				t.Fatalf("Lookup = %v, %v; want %s", p, err, tc.want)
			}
		})
	}
	none := &Set{Policies: []*Policy{builtin}}
	if p, err := none.Lookup(Identity{Name: "other"}); p != nil || err != nil {
		t.Fatalf("no match: %v %v", p, err)
	}
}

func TestLookupRefuses(t *testing.T) {
	good := mustParse(t, "good.toml", "[module]\nmatch = \"hello\"\n[bus]\npublish = [\"a\"]\n")
	brokenSame, _ := Parse("broken.toml", []byte("[module]\nmatch = \"hello\"\n[bus]\npublish = [\"a\"\n"), testExpand)
	brokenGlob, _ := Parse("brokeng.toml", []byte("[module]\nmatch = \"h*\"\nbogus = 1\n"), testExpand)
	brokenUnknown, _ := Parse("unknown.toml", []byte("this is not toml"), testExpand)
	twin := mustParse(t, "twin.toml", "[module]\nmatch = \"hello\"\n")

	if _, err := (&Set{Policies: []*Policy{good, brokenSame}}).Lookup(Identity{Name: "hello"}); !errors.Is(err, ErrBroken) || !strings.Contains(err.Error(), "broken.toml:4") {
		t.Errorf("broken file at the same precedence: %v", err)
	}
	if p, err := (&Set{Policies: []*Policy{good, brokenGlob}}).Lookup(Identity{Name: "hello"}); err != nil || p != good {
		t.Errorf("a broken glob below an exact match must not matter: %v %v", p, err)
	}
	if _, err := (&Set{Policies: []*Policy{brokenGlob}}).Lookup(Identity{Name: "hi"}); !errors.Is(err, ErrBroken) || !strings.Contains(err.Error(), "brokeng.toml:3") {
		t.Errorf("broken glob that would apply: %v", err)
	}
	if _, err := (&Set{Policies: []*Policy{good, brokenUnknown}}).Lookup(Identity{Name: "hello"}); !errors.Is(err, ErrBroken) {
		t.Errorf("a broken file with no readable match may apply to anyone: %v", err)
	}
	if _, err := (&Set{Policies: []*Policy{good, twin}}).Lookup(Identity{Name: "hello"}); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("two files at the same precedence: %v", err)
	}
}

func rules(vals ...string) []Rule {
	out := make([]Rule, len(vals))
	for i, v := range vals {
		out[i] = Rule{Value: v}
	}
	return out
}

func TestIntersect(t *testing.T) {
	policy := &Grants{
		FS: []Preopen{
			{Host: "/home/u/Pictures", Guest: "/pictures", Mode: ReadWrite},
			{Host: "/data", Guest: "/data", Mode: ReadOnly},
		},
		Env:         rules("LANG=C", "TZ=UTC"),
		Publish:     rules("camera.*.frame", "ui.>"),
		Subscribe:   rules("input.>"),
		Request:     rules("camera.list"),
		Direct:      Flag{On: true},
		RegionCount: Limit{N: 8}, RegionBytes: Limit{N: 1 << 20},
		Devices:  rules("camera"),
		Net:      rules("*.example.org:443"),
		Spawn:    rules("image*"),
		Memory:   Limit{N: 64 << 20},
		CPU:      Limit{N: 20},
		Windows:  Flag{On: true},
		MaxWidth: Limit{N: 800}, MaxHeight: Limit{N: 600},
	}
	req := &Grants{
		FS: []Preopen{
			{Guest: "/pictures", Mode: ReadWrite},
			{Host: "/data/sub", Guest: "/sub", Mode: ReadWrite},
			{Host: "/etc", Guest: "/etc", Mode: ReadOnly},
		},
		Env:         rules("LANG", "HOME"),
		Publish:     rules("camera.>", "secret.x"),
		Subscribe:   rules("input.key"),
		RegionCount: Limit{N: 100},
		Devices:     rules("camera", "mic"),
		Net:         rules("api.example.org:443", "evil.com:443"),
		Spawn:       rules("imagefx", "shell"),
		Memory:      Limit{N: 1 << 30},
		CPU:         Limit{N: 50},
		Windows:     Flag{On: true},
		MaxWidth:    Limit{N: 400},
		Clipboard:   Flag{On: true},
	}
	g := Intersect(req, policy)
	wantFS := []Preopen{{Host: "/home/u/Pictures", Guest: "/pictures", Mode: ReadWrite}, {Host: "/data/sub", Guest: "/sub", Mode: ReadOnly}}
	if len(g.FS) != 2 || g.FS[0] != wantFS[0] || g.FS[1] != wantFS[1] {
		t.Errorf("fs = %+v, want %+v", g.FS, wantFS)
	}
	for _, c := range []struct {
		what string
		got  []Rule
		want string
	}{
		{"env", g.Env, "LANG=C"},
		{"publish", g.Publish, "camera.*.frame"},
		{"subscribe", g.Subscribe, "input.key"},
		{"request", g.Request, ""},
		{"devices", g.Devices, "camera"},
		{"net", g.Net, "api.example.org:443"},
		{"spawn", g.Spawn, "imagefx"},
	} {
		if s := strings.Join(values(c.got), " "); s != c.want {
			t.Errorf("%s = %q, want %q", c.what, s, c.want)
		}
	}
	if g.Direct.On || g.Clipboard.On || !g.Windows.On {
		t.Errorf("flags: direct %v clipboard %v windows %v", g.Direct.On, g.Clipboard.On, g.Windows.On)
	}
	if g.RegionCount.N != 8 || g.RegionBytes.N != 1<<20 || g.Memory.N != 64<<20 || g.MaxWidth.N != 400 || g.MaxHeight.N != 600 || g.CPU.N != 20 {
		t.Errorf("limits: regions %d/%d memory %d surface %dx%d", g.RegionCount.N, g.RegionBytes.N, g.Memory.N, g.MaxWidth.N, g.MaxHeight.N)
	}
}

func TestAttenuate(t *testing.T) {
	set := &Set{Policies: []*Policy{
		mustParse(t, "parent.toml", `[module]
match = "parent"
[[fs]]
host = "/data"
guest = "/data"
mode = "ro"
[bus]
publish = ["a.>"]
[process]
spawn = ["child"]
[limits]
memory = "32MiB"
`),
		mustParse(t, "child.toml", `[module]
match = "child"
[[fs]]
host = "/data/child"
guest = "/c"
mode = "rw"
[[fs]]
host = "/etc"
guest = "/etc"
mode = "ro"
[bus]
publish = ["a.b", "z.>"]
[limits]
memory = "1GiB"
[ui]
windows = true
`),
	}}
	parent, err := set.Resolve(Identity{Name: "parent"})
	if err != nil {
		t.Fatal(err)
	}
	child, err := set.Resolve(Identity{Name: "child"})
	if err != nil {
		t.Fatal(err)
	}
	c := child.Attenuate(parent)
	for _, tc := range []struct {
		name string
		got  bool
		want bool
	}{
		{"child publish a.b (both)", c.AllowPublish("a.b"), true},
		{"child publish z.q (child only)", c.AllowPublish("z.q"), false},
		{"child publish a.c (parent only)", c.AllowPublish("a.c"), false},
		{"child windows (parent has none)", c.AllowSurface(10, 10), false},
		{"unattenuated child windows", child.AllowSurface(10, 10), true},
		{"parent may spawn child", parent.AllowSpawn("child"), true},
		{"parent may not spawn other", parent.AllowSpawn("other"), false},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if fs := c.Preopens(); len(fs) != 1 || fs[0].Host != "/data/child" || fs[0].Mode != ReadOnly {
		t.Errorf("child preopens = %+v, want /data/child read-only", fs)
	}
	if c.Limits().Memory != 32<<20 {
		t.Errorf("child memory = %d", c.Limits().Memory)
	}
}

func TestNamespaceChecks(t *testing.T) {
	set := &Set{Policies: []*Policy{mustParse(t, "cv.toml", fullPolicy)}}
	ns, err := set.Resolve(Identity{Name: "camera-viewer"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		op     Op
		object string
		allow  bool
		rule   string
	}{
		{OpPublish, "camera.0.frame", true, ""},
		{OpPublish, "camera.0.status", false, NoGrant},
		{OpSubscribe, "input.key", true, ""},
		{OpSubscribe, ">", false, NoGrant},
		{OpRequest, "camera.list", true, ""},
		{OpSend, "pid:3", true, ""},
		{OpRegion, "create:1024", true, ""},
		{OpRegion, "create:999999999", false, "regions.bytes = 64MiB (cv.toml:33)"},
		{OpDevice, "camera", true, ""},
		{OpDevice, "mic", false, NoGrant},
		{OpNet, "example.org:443", true, ""},
		{OpNet, "example.org:80", false, NoGrant},
		{OpSurface, "1920x1080", true, ""},
		{OpSurface, "1921x1080", false, "ui.max_surface = 1920x1080 (cv.toml:49)"},
		{OpSpawn, "imagefx", true, ""},
		{OpSpawn, "shell", false, NoGrant},
		{OpFS, "/pictures/a.png", true, ""},
		{OpFS, "/etc/passwd", false, NoGrant},
	} {
		err := ns.Check(tc.op, tc.object)
		if (err == nil) != tc.allow {
			t.Errorf("%s %s: err = %v, want allow=%v", tc.op, tc.object, err, tc.allow)
			continue
		}
		var de *DeniedError
		if err != nil && (!errors.As(err, &de) || de.Rule != tc.rule || !errors.Is(err, ErrDenied)) {
			t.Errorf("%s %s: rule %q, want %q", tc.op, tc.object, de.Rule, tc.rule)
		}
	}
	deny, _ := (&Set{}).Resolve(Identity{Name: "stranger"})
	err = deny.Check(OpPublish, "a")
	if err == nil || !strings.Contains(err.Error(), "orbital policy new stranger") {
		t.Errorf("default deny message: %v", err)
	}
}
