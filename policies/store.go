package policies

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orbital/orbital/internal/tomlguard"
)

// Store holds the policy set of one Orbital home (built-in defaults plus the files in
// <home>/policies) and reloads it when a file changes. Modules bind to it with Bind; their
// checks see a reload on their next operation.
type Store struct {
	home  string
	dir   string
	ex    Expand
	audit *Audit

	gen atomic.Uint64       // bumped on every reload that changed something
	set atomic.Pointer[Set] // current set

	mu    sync.Mutex // serialises Reload
	stamp string     // fingerprint of the directory at the last load
}

// Open loads the policies of the Orbital home. A missing policies directory is not an error
// (only the defaults apply); broken files are kept and refuse the modules they may apply to.
// Open starts nothing: call Watch to follow edits.
func Open(home string) (*Store, error) {
	s := &Store{
		home:  home,
		dir:   filepath.Join(home, "policies"),
		ex:    DefaultExpand(home),
		audit: OpenAudit(AuditFile(home), 0),
	}
	if _, err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir is the user's policy directory, <home>/policies.
func (s *Store) Dir() string { return s.dir }

// Audit is the store's audit log, <home>/audit.log.
func (s *Store) Audit() *Audit { return s.audit }

// Expand is how this store expands ~ and $ORBITAL_HOME.
func (s *Store) Expand() Expand { return s.ex }

// Set returns the current policy set.
func (s *Store) Set() *Set { return s.set.Load() }

// Generation counts reloads that changed something.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// Resolve resolves a module against the current set.
func (s *Store) Resolve(id Identity) (*Namespace, error) { return s.Set().Resolve(id) }

// Reload re-reads the policy directory if any file in it changed (by name, size or mtime) and
// reports whether it did. It is cheap when nothing changed: one ReadDir and a stat per file.
func (s *Store) Reload() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stamp, err := s.fingerprint()
	if err != nil {
		return false, err
	}
	if stamp == s.stamp && s.set.Load() != nil {
		return false, nil
	}
	set := &Set{Policies: Defaults(s.ex)}
	set.Policies = append(set.Policies, LoadDir(s.dir, s.ex)...)
	s.set.Store(set)
	s.stamp = stamp
	s.gen.Add(1)
	return true, nil
}

func (s *Store) fingerprint() (string, error) {
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "-", nil
	}
	if err != nil {
		return "", fmt.Errorf("policies: read %s: %w", s.dir, err)
	}
	var b strings.Builder
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".toml") {
			continue
		}
		b.WriteString(e.Name())
		if st, err := os.Stat(filepath.Join(s.dir, e.Name())); err == nil {
			b.WriteString(" " + strconv.FormatInt(st.Size(), 10) + " " + strconv.FormatInt(st.ModTime().UnixNano(), 10))
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// Watch polls the policy directory every interval (250 ms when <= 0) until ctx ends, so an
// edited file takes effect on each bound module's next operation. The owner runs it in its own
// goroutine; it returns when ctx is done.
func (s *Store) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Reload() // an unreadable directory keeps the last set; files themselves never widen
		}
	}
}

// LoadDir parses every *.toml file in dir, sorted by name. A file that cannot be read or parsed
// is returned as a broken Policy (Err set); a missing dir yields nothing.
func LoadDir(dir string, ex Expand) []*Policy {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return []*Policy{{File: dir, Err: &FileError{File: dir, Msg: err.Error()}}}
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".toml") && !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var dirErr error
	if st, err := os.Stat(dir); err == nil {
		dirErr = checkOwnership(dir, st)
	}
	out := make([]*Policy, 0, len(names))
	for _, n := range names {
		out = append(out, loadFile(filepath.Join(dir, n), ex, dirErr))
	}
	return out
}

// loadFile parses one policy file of the user's directory. A file that is unreadable, or that
// others may write (or sits in a directory others may write: dirErr), is broken: it refuses
// the modules it may apply to, and grants nothing.
func loadFile(p string, ex Expand, dirErr error) *Policy {
	data, err := tomlguard.ReadFile(p) // bounded: a huge file is refused, not read whole
	if err != nil {
		fe := &FileError{File: p, Msg: err.Error()}
		if ge := (*tomlguard.Error)(nil); errors.As(err, &ge) {
			fe.Line, fe.Msg = ge.Line, ge.Msg
		}
		return &Policy{File: p, Err: FileErrors{fe}}
	}
	err = dirErr
	if st, serr := os.Stat(p); err == nil && serr == nil {
		err = checkOwnership(p, st)
	}
	if err != nil {
		m, line := recoverMatch(string(data))
		return &Policy{File: p, Match: m, MatchLine: line, Err: FileErrors{{File: p, Msg: err.Error()}}}
	}
	pol, _ := Parse(p, data, ex)
	return pol
}

// Live is one running process's view of policy: its namespace, re-resolved when the store
// reloads. Checks are safe from any goroutine; the common path is one atomic load.
type Live struct {
	store  *Store
	pid    atomic.Uint32
	id     Identity
	user   *Grants
	parent *Live
	bound  *Grants // a parent on another node: its grants as it sent them (BindWithin)

	mu  sync.Mutex
	gen atomic.Uint64
	ns  atomic.Pointer[Namespace]
	hot atomic.Pointer[decision] // the last decision, for Allowed
}

// Bind resolves the module for process pid and follows later reloads. user holds the command
// line's own grants (may be nil); parent is the spawning process (nil at top level), whose
// namespace bounds the child's. A broken or ambiguous policy refuses the module here.
func (s *Store) Bind(pid uint32, id Identity, user *Grants, parent *Live) (*Live, error) {
	return s.BindWithin(pid, id, user, parent, nil)
}

// BindWithin is Bind for a process whose parent runs on another node of a cluster: bound is
// that parent's namespace as its node sent it (DecodeBound), and the process never gets more
// than it (nor more than this store's policy for the module). A nil bound bounds nothing.
func (s *Store) BindWithin(pid uint32, id Identity, user *Grants, parent *Live, bound *Grants) (*Live, error) {
	l := &Live{store: s, id: id, user: user, parent: parent, bound: bound}
	l.pid.Store(pid)
	gen := s.gen.Load()
	ns, err := l.resolve()
	if err != nil {
		return nil, err
	}
	ns.gen = gen
	l.ns.Store(ns)
	l.gen.Store(gen)
	return l, nil
}

func (l *Live) resolve() (*Namespace, error) {
	ns, err := l.store.Resolve(l.id)
	if err != nil {
		return nil, err
	}
	if l.user != nil {
		ns = ns.WithUserGrants(l.user)
	}
	if l.parent != nil {
		ns = ns.Attenuate(l.parent.Namespace())
	}
	if l.bound != nil {
		ns = ns.Attenuate(&Namespace{Grants: *l.bound})
	}
	return ns, nil
}

// PID is the bound process.
func (l *Live) PID() uint32 { return l.pid.Load() }

// SetPID names the process once it has a pid (a namespace is resolved before the process
// exists, because it shapes the process's WASI view).
func (l *Live) SetPID(pid uint32) { l.pid.Store(pid) }

// Module is the bound module's name.
func (l *Live) Module() string { return l.id.Name }

// Namespace returns the current namespace, re-resolving it after a reload. If the policy broke
// meanwhile the namespace refuses everything, naming the file and line.
func (l *Live) Namespace() *Namespace {
	if ns := l.ns.Load(); ns.gen == l.store.gen.Load() {
		return ns
	}
	return l.namespaceSlow()
}

func (l *Live) namespaceSlow() *Namespace {
	g := l.store.gen.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gen.Load() != g {
		ns, err := l.resolve()
		if err != nil {
			ns = refusedNamespace(l.id.Name, err)
		}
		ns.gen = g
		l.ns.Store(ns)
		l.gen.Store(g)
	}
	return l.ns.Load()
}

// Allowed reports whether the operation is allowed, without auditing: the fast path of a hook
// that then calls Check only to record and explain a refusal. Its common case is the last
// decision again, at the same store generation: two atomic loads and a comparison.
func (l *Live) Allowed(op Op, object string) bool {
	if d := l.hot.Load(); d != nil && d.op == op && d.gen == l.store.gen.Load() && d.object == object {
		return d.ok
	}
	return l.allowedSlow(op, object)
}

func (l *Live) allowedSlow(op Op, object string) bool {
	ns := l.Namespace()
	d := ns.decide(op, object)
	if d == nil {
		return ns.allow(op, object)
	}
	l.hot.Store(d)
	return d.ok
}

// Check decides one operation and writes a denial to the audit log.
func (l *Live) Check(op Op, object string) error {
	ns := l.ns.Load()
	if l.gen.Load() != l.store.gen.Load() {
		ns = l.Namespace()
	}
	if ns.allowCached(op, object) {
		return nil
	}
	err := &DeniedError{Module: ns.Module, Op: op, Object: object, Rule: ns.denyRule(op, object)}
	l.store.audit.Record(Record{PID: l.pid.Load(), Module: ns.Module, Op: op.String(), Object: object, Rule: err.Rule})
	return err
}
