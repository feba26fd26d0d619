package kernel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/policies"
)

// The clipboard family of the host ABI (docs/abi.md, "Clipboard"): plain UTF-8 text in and out
// of the desktop's clipboard. Both calls need the namespace's ui.clipboard grant (one grant for
// reading and writing: a module that may write may also read back what it wrote, and a
// write-only grant would still let it overwrite what the user copied). The kernel does not own
// a clipboard: Config.Clipboard is the shell's (the X11 clipboard through GLFW) or, for headless
// runs, a MemClipboard shared by the run's processes.
func init() {
	registerHostFuncs(
		hostFunc{name: "clipboard_read", params: kinds(i32, i32), results: kinds(i32), fn: hostClipboardRead},
		hostFunc{name: "clipboard_write", params: kinds(i32, i32), results: kinds(i32), fn: hostClipboardWrite},
	)
}

// Clipboard is the desktop clipboard the kernel hands guests. Both methods are called from
// process threads, concurrently; ctx ends when the calling process is killed or the kernel's
// clipboard timeout (5 s) passes, and an implementation should return soon after (the kernel stops
// waiting for it either way).
type Clipboard interface {
	ReadClipboard(ctx context.Context) (string, error)
	WriteClipboard(ctx context.Context, text string) error
}

// MaxClipboard is the largest text clipboard_write takes and clipboard_read hands out (1 MiB);
// larger is ERR_TOO_BIG.
const MaxClipboard = 1 << 20

// clipboardTimeout bounds one clipboard call: a clipboard that does not answer in time gives
// the guest ERR_TIMEOUT instead of holding its thread. A variable for tests only.
var clipboardTimeout = 5 * time.Second

// clipKey is the per-process state key (call.local) of this family.
type clipKey struct{}

// clipState is a process's state in this family: which one-time log lines it produced, and
// the implementation call it last started, closed once that call returned.
type clipState struct {
	hinted, missing bool
	pending         chan struct{}
}

// clipboard_read(buf_ptr, buf_cap) -> length written; buf_cap 0 asks for the length only.
func hostClipboardRead(c *call, a []wasmtime.Val) []wasmtime.Val {
	ptr, bufCap := a[0].I32(), a[1].I32()
	if bufCap < 0 {
		return one(errInvalid)
	}
	if _, ok := c.bytes(ptr, bufCap); !ok {
		return one(errFault)
	}
	if code := c.clipboardDoor("read"); code != 0 {
		return one(code)
	}
	clip := c.p.k.cfg.Clipboard
	text, err := c.clipboardCall(clip.ReadClipboard)
	if err != nil {
		return one(c.clipboardErr("clipboard_read", err))
	}
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	if len(text) > MaxClipboard {
		return one(errTooBig)
	}
	if bufCap == 0 {
		return one(int32(len(text)))
	}
	if len(text) > int(bufCap) {
		return one(errTooSmall)
	}
	buf, ok := c.bytes(ptr, int32(len(text))) // fetched again: the memory slice is per call
	if !ok {
		return one(errFault)
	}
	copy(buf, text)
	return one(int32(len(text)))
}

// clipboard_write(ptr, len) -> 0
func hostClipboardWrite(c *call, a []wasmtime.Val) []wasmtime.Val {
	ptr, n := a[0].I32(), a[1].I32()
	if n < 0 {
		return one(errInvalid)
	}
	if n > MaxClipboard {
		return one(errTooBig)
	}
	b, ok := c.bytes(ptr, n)
	if !ok {
		return one(errFault)
	}
	if !utf8.Valid(b) {
		return one(errInvalid)
	}
	if code := c.clipboardDoor("write"); code != 0 {
		return one(code)
	}
	text := string(b) // copied out of guest memory before anything waits
	clip := c.p.k.cfg.Clipboard
	_, err := c.clipboardCall(func(ctx context.Context) (string, error) {
		return "", clip.WriteClipboard(ctx, text)
	})
	if err != nil {
		return one(c.clipboardErr("clipboard_write", err))
	}
	return one(0)
}

// clipboardDoor checks the namespace (audited on denial), then that the kernel has a
// clipboard. It returns 0 when the call may go ahead.
func (c *call) clipboardDoor(op string) int32 {
	p := c.p
	st := c.local(clipKey{}, func() any { return &clipState{} }).(*clipState)
	if !p.allowClipboard(op) {
		if !st.hinted {
			st.hinted = true
			p.k.cfg.Log(p.pid, p.name, 2, "clipboard_"+op+" denied: the clipboard needs `[ui] clipboard = true` in a policy file matching "+
				p.name+" (orbital policy explain "+p.name+"; orbital audit --module "+p.name+")")
		}
		return errDenied
	}
	if p.k.cfg.Clipboard == nil {
		if !st.missing {
			st.missing = true
			p.k.cfg.Log(p.pid, p.name, 2, "clipboard_"+op+": this kernel has no clipboard (ERR_NOT_FOUND)")
		}
		return errNotFound
	}
	return 0
}

// allowClipboard decides a clipboard door for p: with policies, the namespace's ui.clipboard
// grant (op is the audit object, "read" or "write"); without, the embedder that gave the
// kernel a clipboard vouches for every process.
func (p *Process) allowClipboard(op string) bool {
	return p.checkDoor(policies.OpClipboard, op) == nil
}

// clipboardCall runs fn on its own goroutine and waits for it while the process is Blocked, at
// most clipboardTimeout and never past the process's kill: an implementation stuck in a
// foreign clipboard owner cannot hold the guest's thread. A process has at most one such
// goroutine: while the one it gave up on has not returned, its next calls time out at once
// (a guest retrying in a loop cannot pile up goroutines). fn must not touch c: the call value
// is reused by the process's next host call while an abandoned fn may still run. The hand-off
// off the locked process thread costs ~35 µs a call (BenchmarkClipboard; ~3 µs inline), which
// a clipboard, used at a person's pace, can afford for the guarantee.
func (c *call) clipboardCall(fn func(ctx context.Context) (string, error)) (string, error) {
	st := c.local(clipKey{}, func() any { return &clipState{} }).(*clipState)
	if st.pending != nil {
		select {
		case <-st.pending:
		default:
			return "", fmt.Errorf("the previous clipboard call has not returned yet: %w", context.DeadlineExceeded)
		}
	}
	pending := make(chan struct{})
	st.pending = pending
	ctx, cancel := context.WithTimeout(c.Context(), clipboardTimeout)
	defer cancel() // an abandoned fn learns it from ctx
	type result struct {
		text string
		err  error
	}
	done := make(chan result, 1)
	var res result
	c.block(func() {
		go func() {
			var r result
			func() {
				defer func() {
					if v := recover(); v != nil {
						r.err = fmt.Errorf("clipboard implementation panicked: %v", v)
					}
				}()
				r.text, r.err = fn(ctx)
			}()
			close(pending) // before the answer: the guest's next call must find it closed
			done <- r
		}()
		select {
		case res = <-done:
		case <-ctx.Done():
			res.err = fmt.Errorf("the clipboard did not answer within %v: %w", clipboardTimeout, ctx.Err())
		}
	})
	return res.text, res.err
}

// clipboardErr maps a clipboard failure to an ABI code: a kill is ERR_CLOSED, the timeout
// ERR_TIMEOUT, anything else ERR_INTERNAL with the detail in the kernel log.
func (c *call) clipboardErr(fn string, err error) int32 {
	switch {
	case c.Context().Err() != nil:
		return errClosed
	case errors.Is(err, context.DeadlineExceeded):
		c.p.k.cfg.Log(c.p.pid, c.p.name, 2, fn+": "+err.Error())
		return errTimeout
	}
	c.p.k.cfg.Log(c.p.pid, c.p.name, 2, fn+": "+err.Error())
	return errInternal
}

// MemClipboard is a clipboard in memory, shared by every process of the kernel it is given
// to: what headless runs (`orbital run`) and tests use. The zero value is empty and ready.
type MemClipboard struct {
	mu   sync.Mutex
	text string
}

// ReadClipboard returns the text last written.
func (m *MemClipboard) ReadClipboard(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.text, nil
}

// WriteClipboard replaces the text.
func (m *MemClipboard) WriteClipboard(_ context.Context, text string) error {
	m.mu.Lock()
	m.text = text
	m.mu.Unlock()
	return nil
}

var _ Clipboard = (*MemClipboard)(nil)
