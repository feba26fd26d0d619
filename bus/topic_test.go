package bus

import (
	"context"
	"errors"
	"testing"
)

func TestValidTopic(t *testing.T) {
	tests := []struct {
		s          string
		topic, pat bool
	}{
		{"a", true, true},
		{"app.clock.tick", true, true},
		{"a.*.c", false, true},
		{"a.>", false, true},
		{">", false, true},
		{"*", false, true},
		{"", false, false},
		{"a..b", false, false},
		{".a", false, false},
		{"a.", false, false},
		{"a.>.b", false, false},
		{"a.b*", false, false},
		{"a.*b.c", false, false},
		{"a.b>.c", false, false},
		{">a", false, false},
		{"a.*.>", false, true},
		{"a/*/b>", false, false},
		{"a b", false, false},
		{"a.\x00", false, false},
		{"é", false, false},
		{"camera/0/frame", true, true},
		{"camera/*", false, true},
		{"a/.b", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			if err := ValidTopic(tt.s); (err == nil) != tt.topic || (err != nil && !errors.Is(err, ErrBadTopic)) {
				t.Errorf("ValidTopic(%q) = %v", tt.s, err)
			}
			if err := ValidPattern(tt.s); (err == nil) != tt.pat {
				t.Errorf("ValidPattern(%q) = %v", tt.s, err)
			}
		})
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pat, topic string
		want       bool
	}{
		{"a.b.c", "a.b.c", true},
		{"a.b.c", "a.b", false},
		{"a.b", "a.b.c", false},
		{"a.*.c", "a.x.c", true},
		{"a.*.c", "a.x.y.c", false},
		{"a.*", "a", false},
		{"a.>", "a.b", true},
		{"a.>", "a.b.c.d", true},
		{"a.>", "a", false},
		{">", "x.y", true},
		{"*", "x", true},
		{"*", "x.y", false},
		{"*.>", "x.y", true},
		{"*.>", "x", false},
	}
	for _, tt := range tests {
		if got := MatchPattern(tt.pat, tt.topic); got != tt.want {
			t.Errorf("MatchPattern(%q, %q) = %v", tt.pat, tt.topic, got)
		}
	}
}

// TestSublistAgreesWithMatchPattern checks the trie against the plain matcher on every pair of a
// set of patterns and topics, through inserts and removals.
func TestSublistAgreesWithMatchPattern(t *testing.T) {
	pats := []string{"a", "a.b", "a.*", "a.>", "*", "*.b", ">", "a.b.c", "*.*.c", "a.*.>", "b.>", "a.b"}
	topics := []string{"a", "b", "a.b", "a.c", "b.b", "a.b.c", "a.x.c", "b.c.d", "a.b.c.d", "z"}
	s := newSublist()
	subs := make([]*subscription, len(pats))
	for i, p := range pats {
		subs[i] = &subscription{id: uint32(i + 1), pattern: p}
		s.insert(subs[i], 0)
	}
	check := func(live map[int]bool) {
		t.Helper()
		for _, tp := range topics {
			got := map[uint32]bool{}
			for _, sub := range s.match(tp) {
				if got[sub.id] {
					t.Fatalf("topic %q: subscription %d twice", tp, sub.id)
				}
				got[sub.id] = true
			}
			for i, p := range pats {
				want := live[i] && MatchPattern(p, tp)
				if got[uint32(i+1)] != want {
					t.Fatalf("topic %q pattern %q: matched=%v want %v", tp, p, got[uint32(i+1)], want)
				}
			}
		}
	}
	live := map[int]bool{}
	for i := range pats {
		live[i] = true
	}
	check(live)
	for i := 0; i < len(pats); i += 2 {
		s.remove(subs[i])
		delete(live, i)
		check(live)
	}
	for i := 1; i < len(pats); i += 2 {
		s.remove(subs[i])
	}
	if !s.root.empty() || s.count() != 0 {
		t.Fatalf("trie not pruned: %+v", s.root)
	}
}

func TestCanonical(t *testing.T) {
	b := New(Config{})
	in := attach(t, b, 1, InboxLimits{})
	if _, err := b.Subscribe(1, "camera/*/frame", Reliable); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(context.Background(), Message{From: 1, Topic: "camera.0/frame"}); err != nil {
		t.Fatal(err)
	}
	if m, ok := in.TryRecv(); !ok || m.Topic != "camera.0.frame" {
		t.Fatalf("%+v %v", m, ok)
	}
}
