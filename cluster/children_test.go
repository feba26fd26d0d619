package cluster

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// recvStop waits for a stop request at a fakeHost's process.
func recvStop(t *testing.T, p *fakeProc, what string) bool {
	t.Helper()
	select {
	case f := <-p.stops:
		return f
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no stop request reached the child", what)
	}
	return false
}

// A child across nodes: the parent's bound travels with the spawn (a spawn without one is
// refused), stop requests reach it, its end comes back with its code, and when either node
// goes the other ends the link: the parent's side reports the child ended, the child's side
// asks it to quit.
func TestClusterChild(t *testing.T) {
	ha, hb := newFakeHost(), newFakeHost()
	a := startNode(t, "a", "127.0.0.1:0", "", ha)
	b := startNode(t, "b", "127.0.0.1:0", JoinURL(strings.TrimPrefix(a.Addr(), "nats://"), a.Token()), hb)
	waitUp(t, 2, a, b)
	ctx := context.Background()
	bound := []byte(`{"Publish":[{"Value":"open.>"}]}`)
	c, err := a.SpawnChild(ctx, SpawnRequest{Module: "viewer", Child: &ChildSpec{Parent: 5, Bound: bound}}, "b")
	if err != nil {
		t.Fatal(err)
	}
	sp := hb.spawns()
	if len(sp) != 1 || sp[0].Child == nil || !sameJSON(sp[0].Child.Bound, bound) || sp[0].Child.Parent != 5 || sp[0].From != "a" {
		t.Fatalf("b was asked %+v", sp)
	}
	if node, rpid, ok := a.Remote(c.PID()); !ok || node != "b" || rpid != 42 {
		t.Fatalf("the child's pid %v stands for %s/%d %v", c.PID(), node, rpid, ok)
	}
	p := hb.lastProc()
	c.Stop(true)
	if !recvStop(t, p, "proc_kill") {
		t.Fatal("a forced stop arrived as a quit request")
	}
	close(p.done)
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the child's end was not reported to its parent's node")
	}
	if code, reason := c.Exit(); code != 7 || reason != "exited seven" {
		t.Fatalf("exit %d %q", code, reason)
	}
	if _, err := a.SpawnChild(ctx, SpawnRequest{Module: "viewer", Child: &ChildSpec{Parent: 5}}, "b"); err == nil || !strings.Contains(err.Error(), "bound") {
		t.Fatalf("a child's spawn without a bound: %v", err)
	}

	c2, err := a.SpawnChild(ctx, SpawnRequest{Module: "viewer", Child: &ChildSpec{Parent: 5, Bound: bound}}, "b")
	if err != nil {
		t.Fatal(err)
	}
	p2 := hb.lastProc()
	if _, err := b.SpawnChild(ctx, SpawnRequest{Module: "viewer", Child: &ChildSpec{Parent: 6, Bound: bound}}, "a"); err != nil {
		t.Fatal(err)
	}
	p3 := ha.lastProc()
	b.Close()
	if recvStop(t, p2, "b left the cluster") {
		t.Fatal("b leaving killed a's child at once; want a quit request")
	}
	select {
	case <-c2.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("b was lost and a's child there was not reported ended")
	}
	if code, reason := c2.Exit(); code != 137 || !strings.Contains(reason, "node b was lost") {
		t.Fatalf("the child on a lost node: exit %d %q", code, reason)
	}
	if recvStop(t, p3, "b, the parent's node, was lost") {
		t.Fatal("the orphan was killed at once; want a quit request")
	}
}
