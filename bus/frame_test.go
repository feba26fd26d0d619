package bus

import (
	"bytes"
	"errors"
	"testing"
)

func TestEncodeDecode(t *testing.T) {
	m := Message{Kind: KindRequest, From: 7, Corr: 1 << 40, Sent: 12345, Sub: 5, Topic: "a.b", Payload: []byte("payload"),
		Regions: []Attachment{{Handle: 3, Rights: RightRead}, {Handle: 9, Rights: RightRead}}}
	buf := make([]byte, EncodedSize(&m))
	n, err := Encode(buf, &m)
	if err != nil || n != len(buf) || n != 48+8+3+7 {
		t.Fatalf("encode: %d %v", n, err)
	}
	got, k, err := Decode(buf)
	if err != nil || k != n {
		t.Fatal(err)
	}
	if got.Kind != m.Kind || got.From != m.From || got.Corr != m.Corr || got.Sent != m.Sent || got.Sub != m.Sub || got.Topic != m.Topic ||
		!bytes.Equal(got.Payload, m.Payload) || len(got.Regions) != 2 || got.Regions[1].Handle != 9 {
		t.Fatalf("round trip: %+v", got)
	}
	if _, err := Encode(buf[:n-1], &m); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short buffer: %v", err)
	}
	if _, _, err := Decode(buf[:n-1]); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short frame: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	m := Message{Kind: KindPublish, From: 1, Topic: "t", Payload: []byte("x"), Regions: []Attachment{{Handle: 1}}}
	buf := make([]byte, EncodedSize(&m))
	Encode(buf, &m)
	f.Add(buf)
	f.Add(make([]byte, 48))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, n, err := Decode(data)
		if err != nil {
			return
		}
		out := make([]byte, EncodedSize(&m))
		k, err := Encode(out, &m)
		if err != nil || k != n {
			t.Fatalf("re-encode: %d %v, decoded %d", k, err, n)
		}
		// Reserved fields are written as zero; everything else must round-trip.
		copy(out[28:32], data[28:32])
		copy(out[44:48], data[44:48])
		if !bytes.Equal(out, data[:n]) {
			t.Fatalf("round trip differs")
		}
	})
}

func FuzzTopic(f *testing.F) {
	for _, s := range []string{"a.b.c", "a.*.c", "a.>", ">", "a..b", "", "a.b*", "x.>.y"} {
		f.Add(s, "a.b.c")
	}
	f.Fuzz(func(t *testing.T, pattern, topic string) {
		perr := ValidPattern(pattern)
		terr := ValidTopic(topic)
		if terr == nil && ValidPattern(topic) != nil {
			t.Fatalf("%q is a valid topic but not a valid pattern", topic)
		}
		if perr != nil || terr != nil {
			if perr != nil && !errors.Is(perr, ErrBadTopic) {
				t.Fatalf("pattern error does not wrap ErrBadTopic: %v", perr)
			}
			return
		}
		pattern, topic = Canonical(pattern), Canonical(topic)
		if ValidPattern(pattern) != nil || ValidTopic(topic) != nil {
			t.Fatalf("canonical form of a valid %q / %q is invalid", pattern, topic)
		}
		s := newSublist()
		s.insert(&subscription{id: 1, pattern: pattern}, 0)
		got := len(s.match(topic)) == 1
		if got != MatchPattern(pattern, topic) {
			t.Fatalf("trie says %v for %q on %q", got, pattern, topic)
		}
		if ValidTopic(pattern) == nil && MatchPattern(pattern, topic) != (pattern == topic) {
			t.Fatalf("literal pattern %q vs %q", pattern, topic)
		}
	})
}
