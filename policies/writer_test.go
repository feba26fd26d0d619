package policies

import (
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
)

// stripSources drops file/line so grants from two files can be compared.
func stripSources(g *Grants) *Grants {
	c := g.Clone()
	for i := range c.FS {
		c.FS[i].Src = Source{}
	}
	for _, rs := range []*[]Rule{&c.Env, &c.Args, &c.Publish, &c.Subscribe, &c.Request, &c.Devices, &c.Net, &c.Spawn} {
		for i := range *rs {
			(*rs)[i].Src = Source{}
		}
		if len(*rs) == 0 {
			*rs = nil
		}
	}
	if len(c.FS) == 0 {
		c.FS = nil
	}
	for _, l := range []*Limit{&c.RegionCount, &c.RegionBytes, &c.Memory, &c.Deadline, &c.Fuel, &c.CPU, &c.GPUMemory, &c.GPUDispatches, &c.GPUBudget, &c.MaxWidth, &c.MaxHeight} {
		l.Src = Source{}
	}
	for _, f := range []*Flag{&c.Direct, &c.Windows, &c.Clipboard} {
		f.Src = Source{}
	}
	return c
}

func TestRenderRoundTrip(t *testing.T) {
	p := mustParse(t, "cv.toml", fullPolicy)
	out := Render(p.Match, &p.Grants, "a header\nsecond line")
	q, err := Parse("rendered.toml", out, testExpand)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(stripSources(&p.Grants), stripSources(&q.Grants)) || q.Match != p.Match {
		t.Fatalf("round trip changed the grants:\n%s", out)
	}
}

func TestTemplateParses(t *testing.T) {
	req, err := ParseRequests("m.toml", []byte("[bus]\npublish = [\"a.>\"]\n[ui]\nwindows = true\n"), testExpand)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Grants{nil, req} {
		out := Template("demo", r)
		p, err := Parse("t.toml", out, testExpand)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if r != nil && (!p.Grants.Windows.On || len(p.Grants.Publish) != 1) {
			t.Errorf("template lost the requests:\n%s", out)
		}
		if r == nil && !p.Grants.Empty() {
			t.Errorf("template for a bare module grants something:\n%s", out)
		}
		// Uncommenting every example keeps the file valid: no table appears twice.
		var un []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "# [") || strings.HasPrefix(l, "# ") && strings.Contains(l, " = ") {
				l = strings.TrimPrefix(l, "# ")
			}
			un = append(un, l)
		}
		if _, err := Parse("u.toml", []byte(strings.Join(un, "\n")), testExpand); err != nil {
			t.Errorf("template with every example uncommented: %v\n%s", err, strings.Join(un, "\n"))
		}
	}
}

func TestWriteAlways(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteFile(dir, "m", []byte("[module]\nmatch = \"m\"\n"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteFile(dir, "m", []byte("x"), false); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("overwrite without asking: %v", err)
	}
	set := &Set{Policies: LoadDir(dir, testExpand)}
	ns, err := set.Resolve(Identity{Name: "m"})
	if err != nil {
		t.Fatal(err)
	}
	req := &Grants{Publish: rules("x.y"), Windows: Flag{On: true}}
	miss := Missing(req, ns)
	if len(miss.Publish) != 1 || !miss.Windows.On {
		t.Fatalf("missing = %+v", miss)
	}
	path, err := WriteAlways(dir, "m", ns, miss)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".bak"); err != nil {
		t.Errorf("earlier file not kept: %v", err)
	}
	set = &Set{Policies: LoadDir(dir, testExpand)}
	ns, err = set.Resolve(Identity{Name: "m", Requests: req})
	if err != nil {
		t.Fatal(err)
	}
	if !ns.AllowPublish("x.y") || !ns.AllowSurface(10, 10) {
		t.Fatalf("written policy does not grant the answer")
	}
	if m := Missing(req, ns); !m.Empty() {
		t.Fatalf("still missing %+v", m)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "allow always") {
		t.Errorf("no explanation in the file:\n%s", data)
	}
}
