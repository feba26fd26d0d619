package httproute

import (
	"bytes"
	"errors"
	"net/http"
	"reflect"
	"testing"
)

// FuzzDecodeRequest: any bytes decode to a request or ErrFormat, never a panic; what decodes
// encodes back to a request that decodes to the same fields.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(EncodeRequest(nil, &Request{Method: "GET", Path: "/w/", Query: "a=1", Route: "/w/",
		Header: http.Header{"Accept": {"text/html"}, "X-Two": {"1", "2"}}, BodyLen: 5, Body: []byte("hello")}))
	f.Add(EncodeRequest(nil, &Request{Method: "POST", Path: "/w/big", Route: "/w/", BodyLen: 1 << 20, InRegion: true}))
	f.Add([]byte("ORH1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v is not ErrFormat", err)
			}
			return
		}
		again, err := DecodeRequest(EncodeRequest(nil, r))
		if err != nil {
			t.Fatalf("re-encoded request does not decode: %v", err)
		}
		if r.Method != again.Method || r.Path != again.Path || r.Query != again.Query || r.Route != again.Route ||
			r.BodyLen != again.BodyLen || !bytes.Equal(r.Body, again.Body) || !reflect.DeepEqual(r.Header, again.Header) {
			t.Fatalf("round trip changed the request:\n%+v\n%+v", r, again)
		}
	})
}

// FuzzDecodeReply: the same for replies, and a decoded reply's header has no line breaks.
func FuzzDecodeReply(f *testing.F) {
	f.Add(EncodeReply(nil, &Reply{Status: 200, Header: http.Header{"Content-Type": {"text/html"}}, BodyLen: 2, Body: []byte("ok")}))
	f.Add(EncodeReply(nil, &Reply{Status: 404, InRegion: true, BodyLen: 9}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeReply(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v is not ErrFormat", err)
			}
			return
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				if bytes.ContainsAny([]byte(k+v), "\r\n") {
					t.Fatalf("header %q: %q", k, v)
				}
			}
		}
		if _, err := DecodeReply(EncodeReply(nil, r)); err != nil {
			t.Fatalf("re-encoded reply does not decode: %v", err)
		}
	})
}
