package jsrt

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

func TestServeRepliesWithResults(t *testing.T) {
	h := newFakeHost(t)
	// Subscriptions are numbered 1 (count), 2 (echo), 3 (later), 4 (news) in order.
	h.at(10*time.Millisecond, sdk.Message{Kind: sdk.KindRequest, Sub: 1, Corr: 1, From: 3, Topic: "demo.count"})
	h.at(11*time.Millisecond, sdk.Message{Kind: sdk.KindRequest, Sub: 2, Corr: 2, Topic: "demo.echo", Payload: []byte(`{"n":4}`)})
	h.at(12*time.Millisecond, sdk.Message{Kind: sdk.KindRequest, Sub: 3, Corr: 3, Topic: "demo.later"})
	h.at(13*time.Millisecond, sdk.Message{Kind: sdk.KindPublish, Sub: 4, From: 5, Topic: "news.a", Payload: []byte("hello")})
	h.at(14*time.Millisecond, sdk.Message{Kind: sdk.KindPublish, Sub: 9, Topic: "news.b"}) // unknown: ignored
	h.at(15*time.Millisecond, sdk.Message{Kind: sdk.KindDirect, From: 5, Payload: []byte("psst")})
	h.at(30*time.Millisecond, sdk.Message{Kind: sdk.KindPublish, Sub: 5, Topic: "stop"})
	h.mustRun(`const subs = [
  orbital.bus.serve('demo.count', m => 'count from ' + m.from),
  orbital.bus.serve('demo.*', m => ({doubled: m.json().n * 2})),
  orbital.bus.serve('demo.later', () => new Promise(res => setTimeout(() => res(new Uint8Array([104, 105])), 5))),
  orbital.bus.subscribe('news.>', m => console.log(m.kind, m.topic, m.from, m.text(), m.data.length), {lossy: true}),
]
orbital.bus.onMessage(m => console.log(m.kind, m.text()))
orbital.bus.subscribe('stop', () => { console.log('stop'); orbital.exit(0) })`)
	if want := "1:count from 3,2:{\"doubled\":8},3:hi"; strings.Join(h.replies, ",") != want {
		t.Fatalf("replies %q, want %q", h.replies, want)
	}
	if want := "publish news.a 5 hello 5\ndirect psst\nstop\n"; h.out.String() != want {
		t.Fatalf("stdout %q, want %q", h.out.String(), want)
	}
}

func TestSendPublishUnsubscribe(t *testing.T) {
	h := newFakeHost(t)
	h.mustRun(`orbital.bus.send(3, 'hi')
orbital.bus.publish('a.b', {x: 1})
orbital.bus.publish('a.c', new Uint8Array([65, 66]).subarray(1))
orbital.bus.publish('a.d')
const s = orbital.bus.subscribe('x.>', () => {})
console.log(s.id, s.pattern)
s.unsubscribe(); s.unsubscribe()
try { orbital.bus.publish('denied.x', '') } catch (e) { console.log(e.code, e instanceof Error) }
try { orbital.bus.send(-1, '') } catch (e) { console.log(e.name) }`)
	if want := `3:hi,a.b:{"x":1},a.c:B,a.d:`; strings.Join(h.sent, ",") != want {
		t.Fatalf("sent %q, want %q", h.sent, want)
	}
	if want := "1 x.>\nERR_DENIED true\nTypeError\n"; h.out.String() != want || len(h.subs) != 0 {
		t.Fatalf("stdout %q (want %q), subscriptions left %v", h.out.String(), want, h.subs)
	}
}

func TestRequestPromise(t *testing.T) {
	h := newFakeHost(t)
	h.request = func(topic string, data []byte, timeout time.Duration) (sdk.Message, error) {
		switch topic {
		case "svc.echo":
			if timeout != 250*time.Millisecond {
				return sdk.Message{}, errors.New("wrong timeout " + timeout.String())
			}
			return sdk.Message{Kind: sdk.KindReply, From: 4, Payload: append([]byte("re:"), data...)}, nil
		case "svc.default":
			if timeout != DefaultRequestTimeout {
				return sdk.Message{}, errors.New("wrong default timeout " + timeout.String())
			}
		}
		return sdk.Message{}, sdk.ErrTimeout
	}
	h.mustRun(`(async () => {
  const r = await orbital.bus.request('svc.echo', 'ping', {timeout: 250})
  console.log(r.kind, r.from, r.text())
  try { await orbital.bus.request('svc.default', '') } catch (e) { console.log('rejected', e.code) }
})()`)
	if want := "reply 4 re:ping\nrejected ERR_TIMEOUT\n"; h.out.String() != want {
		t.Fatalf("stdout %q, want %q", h.out.String(), want)
	}
}

func TestServeFailures(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"throws", "orbital.bus.serve('q', () => { throw new Error('no answer') })", "Uncaught Error: no answer\n    at app.js:1:"},
		{"rejects", "orbital.bus.serve('q', async () => { throw new Error('async no') })", "Uncaught (in promise) Error: async no"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHost(t)
			h.at(time.Millisecond, sdk.Message{Kind: sdk.KindRequest, Sub: 1, Corr: 1, Topic: "q"})
			_, err := h.run(tc.src)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFetch(t *testing.T) {
	h := newFakeHost(t)
	h.fetch = func(r sdk.HTTPRequest) (*sdk.HTTPResponse, error) {
		if r.URL == "http://127.0.0.1:1/down" {
			return nil, sdk.ErrNetwork
		}
		body := r.Method + " " + string(r.Body) + " " + strings.Join(r.Header["X-Test"], ";")
		return &sdk.HTTPResponse{Status: 404, Header: map[string][]string{"Content-Type": {"text/plain"}}, Body: []byte(body)}, nil
	}
	h.mustRun(`(async () => {
  const r = await fetch('http://127.0.0.1:1/x', {method: 'POST', body: 'b', headers: {'X-Test': 'yes'}})
  console.log(r.status, r.ok, r.headers.get('content-type'), r.headers.get('nope'), await r.text())
  try { await fetch('http://127.0.0.1:1/down') } catch (e) { console.log(e.name, e.code) }
})()`)
	if want := "404 false text/plain null POST b yes\nTypeError ERR_NETWORK\n"; h.out.String() != want {
		t.Fatalf("stdout %q, want %q", h.out.String(), want)
	}
}
