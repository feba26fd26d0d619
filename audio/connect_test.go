package audio

import (
	"net"
	"reflect"
	"strings"
	"testing"
)

func TestParseServer(t *testing.T) {
	got := parseServer("{box}unix:/run/p/native /tmp/s tcp:snd tcp:10.0.0.2:4000 tcp6:[::1] tcp4:h:1 bogus:x tcp: {broken unix:")
	want := []serverAddr{
		{network: "unix", addr: "/run/p/native", localname: "box"},
		{network: "unix", addr: "/tmp/s"},
		{network: "tcp", addr: "snd:4713"},
		{network: "tcp", addr: "10.0.0.2:4000"},
		{network: "tcp6", addr: "[::1]:4713"},
		{network: "tcp4", addr: "h:1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseServer:\n got %+v\nwant %+v", got, want)
	}
}

// A server that accepts the connection and never answers is given up after the request
// timeout (proto.Connect would not bound the dial), and the next address is tried.
func TestConnectSilentServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent
		}
	}()
	_, _, err = connect("tcp:" + l.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "tcp "+l.Addr().String()) {
		t.Fatalf("a silent server: %v", err)
	}
	if _, _, err := connect("nonsense"); err == nil || !strings.Contains(err.Error(), "no usable address") {
		t.Fatalf("an unusable server string: %v", err)
	}
}
