package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jfreymuth/pulse/proto"
	"github.com/orbital/orbital/wasm4"
)

// toneQueue bounds the tones waiting for the renderer: a cart calls tone a few times a frame
// at most, and the renderer takes them every few milliseconds.
const toneQueue = 64

// Why a tone did not go to a device (Voice.Tone).
const (
	NoOutput = "no audio output"
	Muted    = "muted"
	Dropped  = "audio queue full: dropped"
)

type voiceState int32

const (
	idle       voiceState = iota // no connection yet (or again, after a failure)
	connecting                   // a goroutine is dialling; tones queue meanwhile
	playing                      // the stream runs; the renderer takes the tones
	down                         // the last connection failed or was lost
	closed
)

// Voice is one cart's sound: a playback stream of its own on the sound server, fed by a
// wasm4.APU. The cart's thread calls Tone, which never waits on the server: it hands the
// tone to a bounded queue. The server asks for samples when its buffer runs low; the
// renderer (on the client's read goroutine) takes the queued tones, renders what was asked
// and sends it. Close ends the stream.
type Voice struct {
	o     *Output
	name  string
	log   func(level int, msg string)
	tones chan queued

	mu    sync.Mutex // guards state, conn and st
	state voiceState
	conn  net.Conn
	st    *stream // the running stream's, while playing

	lastReq atomic.Int64 // when the server last asked for samples (UnixNano)

	// The renderer: touched under rmu, by the stream's read goroutine and by connect (the
	// first samples).
	rmu     sync.Mutex
	apu     *wasm4.APU
	fillAt  int64 // when the last samples were rendered (UnixNano; 0: never)
	samples []int16
	bytes   []byte

	queued, dropped, unplayed, underruns, overruns, rendered atomic.Int64
}

// VoiceStats are a voice's counters.
type VoiceStats struct {
	Queued    int64 // tones handed to the renderer
	Unplayed  int64 // of which dropped unplayed: the connection failed or was lost first
	Dropped   int64 // tones refused because the queue was full
	Underruns int64 // the server ran out of samples (it told us: underflow)
	Overruns  int64 // the server got more than it had room for (overflow)
	Rendered  int64 // stereo frames sent to the server
	Playing   bool  // a stream runs now
}

// Stats returns the voice's counters.
func (v *Voice) Stats() VoiceStats {
	v.mu.Lock()
	p := v.state == playing
	v.mu.Unlock()
	return VoiceStats{Queued: v.queued.Load(), Unplayed: v.unplayed.Load(), Dropped: v.dropped.Load(), Underruns: v.underruns.Load(),
		Overruns: v.overruns.Load(), Rendered: v.rendered.Load(), Playing: p}
}

// Tone plays t without waiting. It returns "" when the tone went to the output (queued for a
// stream that runs or is being opened), else why not: Muted, NoOutput (no server reachable:
// the output tries again only after Config.Retry) or Dropped.
func (v *Voice) Tone(t wasm4.ToneArgs) string {
	if v.o.cfg.Mute {
		return Muted
	}
	now := v.o.cfg.now().UnixNano()
	v.mu.Lock()
	switch v.state {
	case closed:
		v.mu.Unlock()
		return NoOutput
	case idle, down:
		if ok, _ := v.o.mayDial(); !ok {
			v.mu.Unlock()
			return NoOutput
		}
		v.state = connecting
		go v.connect()
	case playing:
		if since := time.Duration(now - v.lastReq.Load()); since > v.o.cfg.stall {
			// A server that asks for nothing for this long is gone without telling (a
			// connection reset ends the client's reader silently) or hung.
			st := v.st
			v.mu.Unlock()
			v.lost(st, fmt.Errorf("the server asked for no samples in %v", since.Round(time.Millisecond)))
			return NoOutput
		}
	}
	v.mu.Unlock()
	select {
	case v.tones <- queued{t, now}:
		v.queued.Add(1)
		return ""
	default:
		v.dropped.Add(1)
		return Dropped
	}
}

// Close ends the voice's stream (closing its connection ends it on the server at once) and
// logs what it counted. The voice plays nothing after.
func (v *Voice) Close() {
	v.mu.Lock()
	was, conn := v.state, v.conn
	v.state, v.conn = closed, nil
	v.mu.Unlock()
	if was == closed {
		return
	}
	if conn != nil {
		conn.Close()
	}
	if s := v.Stats(); s.Rendered > 0 {
		v.log(0, fmt.Sprintf("audio: %d tones played, %.1f s of sound sent; %d underruns, %d overruns, %d tones dropped",
			s.Queued-s.Unplayed, float64(s.Rendered)/wasm4.SampleRate, s.Underruns, s.Overruns, s.Dropped+s.Unplayed))
	}
}

// connect opens the stream: dial, authenticate, name the client, create a stereo 16-bit
// stream and send its first samples. On failure the voice is down and the output's gate
// closes for Config.Retry; the queued tones are dropped.
func (v *Voice) connect() {
	v.o.dials.Add(1)
	c, conn, err := connect(v.o.server)
	var st *stream
	if err == nil {
		st, err = v.open(c, conn)
		if err != nil {
			conn.Close()
		}
	}
	if err != nil {
		err = fmt.Errorf("no sound server at %s: %w", v.o.server, err)
		v.o.failed(err)
		v.mu.Lock()
		if v.state != closed {
			v.state = down
		}
		v.mu.Unlock()
		v.drain()
		v.log(1, fmt.Sprintf("audio: %v; tones are counted and traced, and tried again after %v", err, v.o.cfg.Retry))
		return
	}
	v.mu.Lock()
	if v.state == closed {
		v.mu.Unlock()
		conn.Close()
		return
	}
	v.lastReq.Store(v.o.cfg.now().UnixNano())
	v.state, v.conn, v.st = playing, conn, st
	v.mu.Unlock()
	v.log(0, "audio: playing through "+v.o.server)
}

// stream is one connection's playback stream.
type stream struct {
	v       *Voice
	client  *proto.Client
	conn    net.Conn
	index   uint32
	ready   bool // index is known (under v.rmu)
	pending int  // bytes the server asked for before index was known (under v.rmu)
}

// open names the client and creates the stream on c, then renders the samples the server
// asked for in its reply.
func (v *Voice) open(c *proto.Client, conn net.Conn) (*stream, error) {
	st := &stream{v: v, client: c, conn: conn}
	c.Callback = st.callback
	host, _ := os.Hostname()
	props := proto.PropList{
		"application.name":         proto.PropListString("Orbital"),
		"application.process.id":   proto.PropListString(fmt.Sprint(os.Getpid())),
		"application.icon_name":    proto.PropListString("audio-x-generic"),
		"application.process.host": proto.PropListString(host),
	}
	if err := c.Request(&proto.SetClientName{Props: props}, &proto.SetClientNameReply{}); err != nil {
		return nil, err
	}
	const frameBytes = 4 // stereo 16-bit
	target := uint32(v.o.cfg.Latency.Seconds()*wasm4.SampleRate) * frameBytes
	req := proto.CreatePlaybackStream{
		SampleSpec:            proto.SampleSpec{Format: proto.FormatInt16LE, Channels: 2, Rate: wasm4.SampleRate},
		ChannelMap:            proto.ChannelMap{proto.ChannelLeft, proto.ChannelRight},
		SinkIndex:             proto.Undefined,
		BufferMaxLength:       2 * target,
		BufferTargetLength:    target,
		BufferPrebufferLength: proto.Undefined,
		BufferMinimumRequest:  wasm4.SampleRate / 60 * frameBytes, // a frame's worth
		ChannelVolumes:        proto.ChannelVolumes{uint32(proto.VolumeNorm), uint32(proto.VolumeNorm)},
		AdjustLatency:         true,
		Properties: proto.PropList{
			"media.name": proto.PropListString(v.name),
			"media.role": proto.PropListString("game"),
		},
	}
	var rpl proto.CreatePlaybackStreamReply
	if err := c.Request(&req, &rpl); err != nil {
		return nil, err
	}
	v.rmu.Lock()
	defer v.rmu.Unlock()
	st.index, st.ready = rpl.StreamIndex, true
	v.apu = wasm4.NewAPU()
	n := int(rpl.Missing) + st.pending
	st.pending = 0
	return st, st.render(n)
}

// callback takes the server's messages for the stream, on the client's read goroutine.
func (st *stream) callback(msg any) {
	v := st.v
	switch m := msg.(type) {
	case *proto.Request:
		v.rmu.Lock()
		if !st.ready {
			st.pending += int(m.Length)
		} else if err := st.render(int(m.Length)); err != nil {
			v.rmu.Unlock()
			v.lost(st, err)
			return
		}
		v.rmu.Unlock()
	case *proto.Underflow:
		v.underruns.Add(1)
	case *proto.Overflow:
		v.overruns.Add(1)
	case *proto.PlaybackStreamKilled:
		v.lost(st, errors.New("the server ended the stream"))
	case *proto.ConnectionClosed:
		v.lost(st, errors.New("the server closed the connection"))
	}
}

// render sends n bytes of samples (whole stereo frames) from the APU, after starting the
// tones queued since the last time. v.rmu is held.
func (st *stream) render(n int) error {
	v := st.v
	frames := n / 4
	if frames <= 0 {
		return nil
	}
	if cap(v.samples) < 2*frames {
		v.samples, v.bytes = make([]int16, 2*frames), make([]byte, 4*frames)
	}
	s, b := v.samples[:2*frames], v.bytes[:4*frames]
	now := v.o.cfg.now().UnixNano()
	v.fill(s, now)
	for i, x := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(x))
	}
	v.rendered.Add(int64(frames))
	v.lastReq.Store(now)
	return st.client.Send(st.index, b)
}

// fill renders len(s)/2 stereo frames, starting the tones queued since the last fill where
// they keep their spacing: a tone queued d after the last fill starts d into these samples
// (clipped to them). Every tone is thus late by the same time (a request's interval plus the
// server's buffer), rather than by whatever was left of the interval when it was queued, so
// a cart's rhythm survives requests that come every 17 ms. v.rmu is held.
func (v *Voice) fill(s []int16, now int64) {
	frames := len(s) / 2
	since := v.fillAt
	v.fillAt = now
	pos := 0
	for {
		var q queued
		select {
		case q = <-v.tones:
		default:
			v.apu.Render(s[2*pos:])
			return
		}
		off := pos
		if since > 0 && q.at > since {
			off = min(frames, max(pos, int((q.at-since)*wasm4.SampleRate/1e9)))
		}
		v.apu.Render(s[2*pos : 2*off])
		pos = off
		v.apu.Tone(q.t)
	}
}

// queued is a tone waiting for the renderer, with when it was queued (UnixNano).
type queued struct {
	t  wasm4.ToneArgs
	at int64
}

// lost ends a stream the server ended: the voice is down, and the output's gate closes.
func (v *Voice) lost(st *stream, err error) {
	v.mu.Lock()
	if v.state != playing || st == nil || v.conn != st.conn {
		v.mu.Unlock()
		return
	}
	conn := v.conn
	v.state, v.conn, v.st = down, nil, nil
	v.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
	v.o.failed(err)
	v.drain()
	v.log(2, fmt.Sprintf("audio: lost the sound server (%v); tones are counted and traced, and tried again after %v", err, v.o.cfg.Retry))
}

// drain drops the queued tones of a voice that has no stream, counting them.
func (v *Voice) drain() {
	for {
		select {
		case <-v.tones:
			v.unplayed.Add(1)
		default:
			return
		}
	}
}
