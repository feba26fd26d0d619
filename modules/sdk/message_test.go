package sdk

import (
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// encode builds a message in the ABI layout, the way the host writes it.
func encode(kind Kind, from uint32, corr uint64, sent int64, regions []uint32, topic string, payload []byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, HeaderSize, HeaderSize+4*len(regions)+len(topic)+len(payload))
	le.PutUint32(b[0:], uint32(kind))
	le.PutUint32(b[4:], from)
	le.PutUint64(b[8:], corr)
	le.PutUint32(b[16:], uint32(len(topic)))
	le.PutUint32(b[20:], uint32(len(payload)))
	le.PutUint32(b[24:], uint32(len(regions)))
	le.PutUint64(b[32:], uint64(sent))
	for _, r := range regions {
		b = le.AppendUint32(b, r)
	}
	b = append(b, topic...)
	return append(b, payload...)
}

func event(typ, sid uint32, x, y, code int32, mods uint32, dx, dy float32) []byte {
	le := binary.LittleEndian
	p := make([]byte, EventSize)
	le.PutUint32(p[0:], typ)
	le.PutUint32(p[4:], sid)
	le.PutUint32(p[8:], uint32(x))
	le.PutUint32(p[12:], uint32(y))
	le.PutUint32(p[16:], uint32(code))
	le.PutUint32(p[20:], mods)
	le.PutUint32(p[24:], math.Float32bits(dx))
	le.PutUint32(p[28:], math.Float32bits(dy))
	return p
}

func TestDecodeMessage(t *testing.T) {
	buf := encode(KindRequest, 7, 42, 123456789, []uint32{3, 9}, "svc.echo", []byte("hi"))
	binary.LittleEndian.PutUint32(buf[40:], 4) // the subscription it came through
	got, err := DecodeMessage(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := Message{Kind: KindRequest, From: 7, Corr: 42, Sent: 123456789 * time.Nanosecond, Sub: 4,
		Regions: []uint32{3, 9}, Topic: "svc.echo", Payload: []byte("hi")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	buf[HeaderSize+8+8] = 'X' // the decoded payload is a copy
	if string(got.Payload) != "hi" {
		t.Fatalf("payload aliases the buffer: %q", got.Payload)
	}
}

func TestDecodeMessageQuit(t *testing.T) {
	got, err := DecodeMessage(encode(KindQuit, 0, 0, 5, nil, "", nil))
	if err != nil || got.Kind != KindQuit || got.Payload != nil || got.Regions != nil {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestDecodeMessageErrors(t *testing.T) {
	full := encode(KindPublish, 1, 0, 0, []uint32{1}, "a.b", []byte("payload"))
	for _, tc := range []struct {
		name string
		buf  []byte
		want string
	}{
		{"short header", full[:HeaderSize-1], "shorter than the 48-byte header"},
		{"truncated payload", full[:len(full)-1], "says 62 bytes (1 regions, topic 3, payload 7) but 61 arrived"},
		{"huge lengths", func() []byte {
			b := append([]byte(nil), full...)
			binary.LittleEndian.PutUint32(b[20:], math.MaxUint32)
			return b
		}(), "payload 4294967295"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeMessage(tc.buf)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestDecodeEvent(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    []byte
		want Event
	}{
		{"key down", event(1, 2, 0, 0, 'C', 2, 0, 0), KeyDown{2, 'C', ModCtrl}},
		{"key up", event(2, 2, 0, 0, int32(KeyEscape), 0, 0, 0), KeyUp{2, KeyEscape, 0}},
		{"char", event(3, 2, 0, 0, 'é', 1, 0, 0), Char{2, 'é', ModShift}},
		{"move", event(4, 1, -5, 300, 0, 0, 0, 0), MouseMove{1, -5, 300, 0}},
		{"down", event(5, 1, 10, 20, 1, 4, 0, 0), MouseDown{1, 10, 20, ButtonRight, ModAlt}},
		{"up", event(6, 1, 10, 20, 0, 0, 0, 0), MouseUp{1, 10, 20, ButtonLeft, 0}},
		{"scroll", event(7, 1, 3, 4, 0, 8, 0.5, -2), Scroll{1, 3, 4, 0.5, -2, ModSuper}},
		{"resize", event(8, 1, 800, 600, 0, 0, 0, 0), Resize{1, 800, 600}},
		{"focus", event(9, 1, 0, 0, 0, 0, 0, 0), Focus{1}},
		{"blur", event(10, 1, 0, 0, 0, 0, 0, 0), Blur{1}},
		{"close", event(11, 3, 0, 0, 0, 0, 0, 0), CloseRequest{3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeMessage(encode(KindEvent, 0, 0, 0, nil, "", tc.p))
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Event()
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
			if got.SurfaceID() != tc.want.SurfaceID() {
				t.Fatalf("SurfaceID %d", got.SurfaceID())
			}
		})
	}
}

func TestDecodeEventErrors(t *testing.T) {
	if _, err := DecodeEvent(make([]byte, 31)); err == nil {
		t.Fatal("short event decoded")
	}
	if _, err := DecodeEvent(event(99, 1, 0, 0, 0, 0, 0, 0)); err == nil || !strings.Contains(err.Error(), "type 99") {
		t.Fatalf("unknown type: %v", err)
	}
	if _, err := (Message{Kind: KindDirect}).Event(); err == nil {
		t.Fatal("direct message decoded as an event")
	}
}

func TestErrno(t *testing.T) {
	var err error = Errno(-10)
	if !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "ERR_CLOSED") {
		t.Fatalf("Errno(-10) = %v", err)
	}
	if !strings.Contains(Errno(-99).Error(), "-99") {
		t.Fatal(Errno(-99).Error())
	}
	if _, err := check(-3); err != ErrTimeout {
		t.Fatalf("check(-3) = %v", err)
	}
}
