package policies

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestDenials(t *testing.T) {
	home := t.TempDir()
	d, err := OpenDenials(home)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Denied("clock", "aa"); ok {
		t.Fatal("denied before anything was denied")
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, e := range []Denial{
		{Module: "clock", Digest: "aa", Lines: []string{"Open windows"}, Time: now},
		{Module: "clock", Digest: "bb", Lines: []string{"Open windows"}, Time: now},
		{Module: "paint", Digest: "cc", Lines: []string{"Read /pictures"}, Time: now},
		{Module: "clock", Digest: "aa", Lines: []string{"Open windows", "Listen on input.>"}, Time: now}, // replaces
	} {
		if err := d.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	again, err := OpenDenials(home) // what the next shell reads
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := again.Denied("clock", "aa"); !ok || len(e.Lines) != 2 || !e.Time.Equal(now) {
		t.Fatalf("clock@aa: %+v %v", e, ok)
	}
	if _, ok := again.Denied("clock", "zz"); ok {
		t.Fatal("a new version of clock counts as denied")
	}
	if n := len(again.For("clock")); n != 2 {
		t.Fatalf("%d entries for clock, want 2", n)
	}
	if n, err := again.Forget("clock"); n != 2 || err != nil {
		t.Fatalf("forget: %d, %v", n, err)
	}
	third, _ := OpenDenials(home)
	if len(third.For("clock")) != 0 || len(third.For("paint")) != 1 {
		t.Fatalf("after forget: %+v", third.list)
	}
	if err := os.WriteFile(DenialsFile(home), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d, err := OpenDenials(home); err == nil || !strings.Contains(err.Error(), "delete it") || len(d.list) != 0 {
		t.Fatalf("damaged file: %v", err)
	}
}
