package sdk

import (
	"encoding/binary"
	"strings"
	"testing"
)

func field(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func TestRouteRequestDecode(t *testing.T) {
	b := []byte("ORH1\x00\x00\x00\x00")
	for _, s := range []string{"POST", "/w/api/x", "a=1&b=x%20y", "/w/", "Content-Type: text/plain\r\nX-Two: 1\r\nX-Two: 2\r\n"} {
		b = field(b, s)
	}
	b = binary.LittleEndian.AppendUint64(b, 5)
	b = append(b, "hello"...)
	r, n, inRegion, err := decodeRouteRequest(b)
	if err != nil || n != 5 || inRegion {
		t.Fatal(err, n, inRegion)
	}
	if r.Method != "POST" || r.Sub() != "api/x" || r.Values().Get("b") != "x y" || r.Header.Get("x-two") != "1" || len(r.Header["X-Two"]) != 2 || string(r.Body) != "hello" {
		t.Fatalf("%+v", r)
	}
	for _, cut := range []int{3, 9, len(b) - 1} {
		if _, _, _, err := decodeRouteRequest(b[:cut]); err == nil {
			t.Errorf("cut at %d decoded", cut)
		}
	}
}

func TestHTTPReplyEncode(t *testing.T) {
	out := encodeRouteReply(nil, &RouteResponse{Header: RouteHeader{"content-type": {"text/html\r\nX: y"}}, Body: []byte("<p>")}, false)
	if string(out[:4]) != "ORR1" || binary.LittleEndian.Uint32(out[4:]) != 200 || binary.LittleEndian.Uint32(out[8:]) != 0 {
		t.Fatalf("% x", out[:12])
	}
	n := binary.LittleEndian.Uint32(out[12:])
	block := string(out[16 : 16+n])
	if block != "Content-Type: text/html  X: y\r\n" || !strings.HasSuffix(string(out), "<p>") {
		t.Fatalf("block %q", block)
	}
}
