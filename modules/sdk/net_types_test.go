package sdk

import (
	"strings"
	"testing"
)

func TestHeadRoundTrip(t *testing.T) {
	h := parseHead("Content-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n")
	r := &HTTPResponse{Header: h}
	if r.Get("content-type") != "text/plain" || len(h["Set-Cookie"]) != 2 || h["Set-Cookie"][1] != "b=2" {
		t.Fatalf("parsed %v", h)
	}
	if got := encodeHeader(map[string][]string{"X-A": {"1"}}); got != "X-A: 1\n" {
		t.Fatalf("encoded %q", got)
	}
	if strings.Contains(encodeHeader(nil), ":") {
		t.Fatal("empty header encoded something")
	}
}
