// Package netx holds what every server of Orbital needs around a net.Listener: an accept loop
// that never dies on a passing error and a cap on connections open at once.
//
// Steady wraps a listener so that Accept backs off and retries on any error but the
// listener's own closing: a process out of file descriptors (EMFILE, ENFILE), out of buffers
// or hit by an aborted handshake recovers as soon as descriptors free up, instead of leaving
// the server deaf for the rest of its life (issue 18, defect 9: the control socket died for
// good after one EMFILE). net/http's Serve retries the errors Go calls temporary only, and
// returns on the others (ENOMEM, ENOBUFS); under Steady it never sees one.
//
// The cap holds Accept back while max connections are open: connections beyond it wait in
// the kernel's backlog and cost the server no descriptor. A connection's slot is freed when
// it is closed (once, whoever closes it).
//
// # Concurrency
//
// A Steady listener is safe for concurrent Accept and Close, like the listener it wraps.
// Close wakes an Accept that waits for a slot or sleeps in a back-off. No goroutine is
// started.
package netx
