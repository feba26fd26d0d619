// Package audio is Orbital's sound output: the tones of WASM-4 carts, synthesized by
// wasm4.APU, played through the desktop's sound server over PulseAudio's native protocol
// (which PipeWire's pipewire-pulse serves too), with the pure-Go client
// github.com/jfreymuth/pulse/proto: no cgo, no ALSA.
//
// What: an Output per system instance (system owns it and hands the kernel an adapter,
// kernel.Sound); a Voice per cart that plays. The server is found as libpulse finds it:
// $PULSE_SERVER, else $PULSE_RUNTIME_PATH/native, else $XDG_RUNTIME_DIR/pulse/native (or
// /run/user/UID/pulse/native); the cookie is $PULSE_COOKIE or ~/.config/pulse/cookie, and a
// local server also accepts the peer's credentials.
//
// Lifecycle: New contacts nothing. A voice connects on its cart's first tone, in a goroutine
// of its own (dial, auth, client name, a stereo 16-bit stream at wasm4.SampleRate with a
// 50 ms target buffer and a frame's worth as the minimum request); tones queue meanwhile.
// From then on the server pulls: each request it sends is answered on the client's read
// goroutine by rendering that many samples from the voice's APU, starting the tones queued
// since the last request as far into them as they were queued after it (so tones keep
// their spacing). Close (the cart ended) closes the connection, which ends
// the stream on the server at once, and logs the voice's counters (tones, seconds sent,
// underruns and overruns the server reported, tones dropped). A connection that fails or is
// lost leaves the voice down and closes the Output's gate for Config.Retry (10 s). Lost is
// the server closing the connection or killing the stream, or a stream it has asked nothing
// of for 5 s (a hung server, or a reset connection, which ends the client's reader without a
// word), found by the next tone. Until the gate opens
// then no voice dials, and Tone answers NoOutput at once, so a machine without a sound
// server sees one failed dial per 10 s at most, never one per tone. Muted (Config.Mute),
// Tone answers Muted and nothing is dialled.
//
// Concurrency: Tone is called on the cart's thread and never waits on the server: it takes
// the voice's mutex (held only for state changes, never across I/O) and hands the tone to a
// bounded channel (64; a full one drops the tone and counts it). The renderer runs on the
// client's read goroutine (and once on the connecting goroutine, for the samples the server
// asked for in its reply) under the voice's render mutex. Lock order: Voice.mu is never held
// while taking Voice.rmu or Output.mu, except Output.mu inside Voice.mu in Tone (mayDial);
// Output.mu is a leaf.
//
// Reasons and measurements: docs/design/wasm4.md, "Sound".
package audio
