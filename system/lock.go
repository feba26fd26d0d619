package system

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockMode says what an instance does with its home's lock (one instance per home).
type LockMode int

const (
	// LockRequired: the instance owns the home (orbital up, orbital shell); when another
	// process holds the lock, Start fails with a *LockedError naming it.
	LockRequired LockMode = iota
	// LockTry: take the lock if it is free; otherwise run as a guest beside the owner (orbital
	// run): the instance's own modules run, but no boot drivers, admin panel, control socket
	// or triggers, which are the owner's.
	LockTry
)

// LockedError is Start's error when another process holds the home's lock.
type LockedError struct {
	Home string
	PID  int // the holder's pid as it wrote it (0 if unreadable)
}

func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("home %s is in use by orbital pid %d (one instance per home; stop it first or use another --home)", e.Home, e.PID)
	}
	return fmt.Sprintf("home %s is in use by another orbital process (one instance per home)", e.Home)
}

// homeLock is an flock on <home>/run/instance.lock; the file holds the owner's pid. The
// kernel releases an flock when its holder dies, so a crashed instance never leaves the home
// locked.
type homeLock struct{ f *os.File }

// LockFile is the home's instance lock.
func LockFile(home string) string { return filepath.Join(home, "run", "instance.lock") }

// lockHome takes the lock without waiting.
func lockHome(home string) (*homeLock, error) {
	p := LockFile(home)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Home: home, PID: LockHolder(home)}
		}
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &homeLock{f: f}, nil
}

// LockHolder is the pid written in the home's lock file (0 when none or unreadable). It does
// not say whether that process still holds the lock.
func LockHolder(home string) int {
	b, err := os.ReadFile(LockFile(home))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// release empties the pid and drops the lock; twice is harmless.
func (l *homeLock) release() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Truncate(0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
