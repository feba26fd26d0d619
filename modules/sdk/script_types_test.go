package sdk

import "testing"

func TestDecodeScript(t *testing.T) {
	f, src, err := DecodeScript([]byte("\x06\x00\x00\x00app.jsx=1"))
	if err != nil || f != "app.js" || string(src) != "x=1" {
		t.Fatalf("%q %q %v", f, src, err)
	}
	for _, bad := range []string{"", "\x01\x00", "\x09\x00\x00\x00app.js"} {
		if _, _, err := DecodeScript([]byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}
