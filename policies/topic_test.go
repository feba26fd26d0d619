package policies

import "testing"

func TestMatchTopic(t *testing.T) {
	for _, tc := range []struct {
		pattern, topic string
		want           bool
	}{
		{"a.b", "a.b", true},
		{"a.b", "a.c", false},
		{"a.b", "a.b.c", false},
		{"a.b.c", "a.b", false},
		{"a.*", "a.b", true},
		{"a.*", "a.b.c", false},
		{"a.*", "a", false},
		{"*.frame", "cam.frame", true},
		{"camera.*.frame", "camera.0.frame", true},
		{"camera.*.frame", "camera.0.status", false},
		{"a.>", "a.b", true},
		{"a.>", "a.b.c.d", true},
		{"a.>", "a", false},
		{">", "x", true},
		{">", "x.y", true},
		{"a/b", "a.b", true},
		{"a.b", "", false},
	} {
		if got := MatchTopic(tc.pattern, tc.topic); got != tc.want {
			t.Errorf("MatchTopic(%q, %q) = %v, want %v", tc.pattern, tc.topic, got, tc.want)
		}
	}
}

func TestCovers(t *testing.T) {
	for _, tc := range []struct {
		grant, sub string
		want       bool
	}{
		{"input.>", "input.>", true},
		{"input.>", "input.key", true},
		{"input.>", "input.*.x", true},
		{"input.>", "input", false},
		{"input.>", ">", false},
		{"input.*", "input.>", false},
		{"input.*", "input.key", true},
		{"input.*", "input.*", true},
		{"input.key", "input.*", false},
		{"*.frame", "cam.frame", true},
		{"*.frame", "*.frame", true},
		{"*.frame", "*.*", false},
		{">", ">", true},
		{">", "a.*.c", true},
		{"a.b", "a.b", true},
		{"a.b", "a.b.c", false},
	} {
		if got := Covers(tc.grant, tc.sub); got != tc.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tc.grant, tc.sub, got, tc.want)
		}
	}
}

func TestIntersectPatterns(t *testing.T) {
	for _, tc := range []struct {
		a, b, want string
		ok         bool
	}{
		{"camera.>", "camera.*.frame", "camera.*.frame", true},
		{"a.*", "*.b", "a.b", true},
		{"a.b", "a.c", "", false},
		{"a.>", "b.>", "", false},
		{">", "x.y", "x.y", true},
		{"a.*", "a.b.c", "", false},
		{"a.>", "a.*", "a.*", true},
		{"a.b", "a.b", "a.b", true},
		{"a", "a.>", "", false},
	} {
		got, ok := IntersectPatterns(tc.a, tc.b)
		if got != tc.want || ok != tc.ok {
			t.Errorf("IntersectPatterns(%q, %q) = %q, %v; want %q, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}

func TestValidPattern(t *testing.T) {
	for _, p := range []string{"a", "a.b", "a.*", "*.b", "a.>", ">", "a/b/*"} {
		if err := ValidPattern(p); err != nil {
			t.Errorf("ValidPattern(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range []string{"", ".", "a..b", "a.", ".a", "a.>.b", "a*", "a.b>", "a>"} {
		if err := ValidPattern(p); err == nil {
			t.Errorf("ValidPattern(%q) = nil, want an error", p)
		}
	}
}

// A topic matches the intersection of two patterns exactly when it matches both.
func FuzzIntersectPatterns(f *testing.F) {
	f.Add("camera.>", "camera.*.frame", "camera.1.frame")
	f.Add("a.*", "*.b", "a.b")
	f.Add(">", "x.>", "x.y.z")
	f.Fuzz(func(t *testing.T, a, b, topic string) {
		if ValidPattern(a) != nil || ValidPattern(b) != nil || ValidPattern(topic) != nil {
			return
		}
		for i := 0; i < len(topic); i++ {
			if topic[i] == '*' || topic[i] == '>' {
				return
			}
		}
		both := MatchTopic(a, topic) && MatchTopic(b, topic)
		p, ok := IntersectPatterns(a, b)
		got := ok && MatchTopic(p, topic)
		if got != both {
			t.Fatalf("a=%q b=%q topic=%q: intersection %q (%v) matches=%v, both=%v", a, b, topic, p, ok, got, both)
		}
		if ok && !(Covers(a, p) && Covers(b, p)) {
			t.Fatalf("intersection %q of %q and %q is not covered by both", p, a, b)
		}
	})
}
