package wire

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func pair(t *testing.T) (*Conn, *Conn) {
	t.Helper()
	a, bf, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	b, err := FileConn(bf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestFramesRoundTrip(t *testing.T) {
	a, b := pair(t)
	big := bytes.Repeat([]byte("x"), MaxBody)
	msg := &Msg{Seq: 7, Kind: 2, Topic: "camera.0.frame", Payload: []byte("hi"),
		Regions: []RegionRef{{ID: 3, Rights: 1, Size: 4096}}}
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	go func() {
		a.Write(TPublish, msg.Encode(), int(w.Fd()))
		a.Write(TLog, big)
		a.Write(TPing, (&Seq{Seq: 9}).Encode())
	}()
	f, err := b.Read()
	if err != nil {
		t.Fatal(err)
	}
	var got Msg
	if err := got.Decode(f.Body); err != nil || f.Type != TPublish || got.Topic != msg.Topic || got.Regions[0] != msg.Regions[0] {
		t.Fatalf("publish: %v %v %+v", err, f.Type, got)
	}
	if len(f.FDs) != 1 {
		t.Fatalf("fds: %v", f.FDs)
	}
	// The received descriptor is the pipe's write end: a byte written through it arrives.
	if _, err := unix.Write(f.FDs[0], []byte("!")); err != nil {
		t.Fatal(err)
	}
	f.CloseFDs()
	one := make([]byte, 1)
	if _, err := io.ReadFull(r, one); err != nil || one[0] != '!' {
		t.Fatalf("pipe: %v %q", err, one)
	}
	f, err = b.Read()
	if err != nil || f.Type != TLog || !bytes.Equal(f.Body, big) {
		t.Fatalf("big frame: %v %v %d", err, f.Type, len(f.Body))
	}
	f, err = b.Read()
	var s Seq
	if err != nil || s.Decode(f.Body) != nil || s.Seq != 9 {
		t.Fatalf("ping: %v %+v", err, s)
	}
	a.Close()
	if _, err := b.Read(); !errors.Is(err, io.EOF) {
		t.Fatalf("after close: %v, want EOF", err)
	}
}

func TestGarbageIsProtocolError(t *testing.T) {
	cases := map[string][]byte{
		"reserved byte":   {1, 0, 0, 0, 5, 0, 0, 9},
		"oversized":       {0xff, 0xff, 0xff, 0x7f, 5, 0, 0, 0},
		"unknown type":    {0, 0, 0, 0, 0x99, 0x00, 0, 0}, // 153: below TUser, not a type
		"missing fds":     {0, 0, 0, 0, 5, 0, 2, 0},
		"truncated frame": {10, 0, 0, 0, 5, 0, 0, 0, 1, 2},
		"text":            []byte("GET / HTTP/1.1\r\n\r\n"),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			a, b := pair(t)
			a.uc.Write(raw)
			a.CloseWrite()
			b.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err := b.Read()
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("err = %v, want ErrProtocol", err)
			}
		})
	}
}

func TestReadDeadline(t *testing.T) {
	_, b := pair(t)
	b.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := b.Read(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestDecodersRejectShortBodies(t *testing.T) {
	full := []interface {
		Encode() []byte
		Decode([]byte) error
	}{&Hello{Cookie: "c", Name: "n"}, &Welcome{Args: []string{"a"}}, &Text{Text: "t"}, &Seq{},
		&Subscribe{Pattern: "p"}, &Msg{Topic: "t", Regions: []RegionRef{{}}}, &RegionAdd{}, &Result{Err: "e"}}
	for _, m := range full {
		b := m.Encode()
		if err := m.Decode(b); err != nil {
			t.Fatalf("%T: own encoding: %v", m, err)
		}
		for n := 0; n < len(b); n++ {
			if err := m.Decode(b[:n]); !errors.Is(err, ErrProtocol) {
				t.Fatalf("%T cut at %d: %v", m, n, err)
			}
		}
		if err := m.Decode(append(b, 0)); !errors.Is(err, ErrProtocol) {
			t.Fatalf("%T with a trailing byte: %v", m, err)
		}
	}
}

func FuzzDecodeMsg(f *testing.F) {
	f.Add((&Msg{Topic: "a.b", Payload: []byte{1}, Regions: []RegionRef{{ID: 1}}}).Encode())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Msg
		if m.Decode(b) == nil {
			if !bytes.Equal(m.Encode(), b) {
				t.Fatalf("re-encoding differs")
			}
		}
		var w Welcome
		w.Decode(b)
		var h Hello
		h.Decode(b)
	})
}

func FuzzRead(f *testing.F) {
	f.Add([]byte{2, 0, 0, 0, 4, 0, 0, 0, 1, 2})
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, bf, err := Pair()
		if err != nil {
			t.Skip(err)
		}
		b, _ := FileConn(bf)
		defer a.Close()
		defer b.Close()
		go func() { a.uc.Write(raw); a.CloseWrite() }()
		for {
			f, err := b.Read()
			if err != nil {
				return
			}
			f.CloseFDs()
		}
	})
}
