package policies

import (
	"slices"
	"strings"
	"testing"
)

// TestCallGrant: [bus] call, the grant to call services by name, through every walk of the
// table: parse, intersection with a manifest's request, the decision, the prompt's and the
// panel's words, explain, the grant an answer at the door gives, and rendering.
func TestCallGrant(t *testing.T) {
	pol, err := Parse("forecast.toml", []byte("[module]\nmatch = \"forecast\"\n[bus]\ncall = [\"weather\", \"geo-*\"]\n"), Expand{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := ParseRequests("module.toml", []byte("[bus]\ncall = [\"weather\", \"geo-ip\", \"mail\"]\n"), Expand{})
	if err != nil {
		t.Fatal(err)
	}
	g := Intersect(req, &pol.Grants)
	ns := &Namespace{Module: "forecast", Policy: pol, Grants: *g}
	for svc, want := range map[string]bool{"weather": true, "geo-ip": true, "geo-dns": false, "mail": false, "weatherx": false} {
		if ns.AllowCall(svc) != want || (ns.Check(OpCall, svc) == nil) != want {
			t.Errorf("call %s: allowed %v, want %v", svc, ns.AllowCall(svc), want)
		}
	}
	if err := ns.Check(OpCall, "mail"); err == nil || !strings.Contains(err.Error(), "call the service") {
		t.Errorf("the refusal: %v", err)
	}
	if got := Describe(g); !slices.Equal(got, []string{"Call the service weather", "Call the service geo-ip"}) {
		t.Errorf("Describe: %q", got)
	}
	if got := Summary(g); !slices.Equal(got, []string{"call:weather", "call:geo-ip"}) {
		t.Errorf("Summary: %q", got)
	}
	var b strings.Builder
	ns.Explain(&b)
	if !strings.Contains(b.String(), "call") || !strings.Contains(b.String(), "geo-ip") {
		t.Errorf("Explain:\n%s", b.String())
	}
	if d := DoorGrant("forecast", req, OpCall, "mail"); d == nil || !slices.Equal(values(d.Call), []string{"mail"}) {
		t.Errorf("DoorGrant for a requested service: %+v", d)
	}
	if d := DoorGrant("forecast", req, OpCall, "bank"); d != nil {
		t.Errorf("DoorGrant for a service the manifest does not request: %+v", d)
	}
	if _, err := Parse("bad.toml", []byte("[module]\nmatch = \"x\"\n[bus]\ncall = [\"\"]\n"), Expand{}); err == nil || !strings.Contains(err.Error(), "bad.toml:4") {
		t.Errorf("an empty service name: %v", err)
	}
	if out := string(Render("forecast", g, "")); !strings.Contains(out, "call = [\"weather\", \"geo-ip\"]") {
		t.Errorf("Render:\n%s", out)
	}
}
