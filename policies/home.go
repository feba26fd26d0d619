package policies

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The Orbital home holds what decides a module's power: policy files, the publisher's private
// key, the admin panel's URL with its token, the registry. A module that could write there could
// grant itself anything, so no preopen may contain or overlap the home, whatever its mode. The
// one exception is the home's data/ directory, which holds nothing Orbital reads: a policy may
// grant $ORBITAL_HOME/data/NAME (or data/ itself) to keep a module's files beside the home.

// HomeDataDir is the part of the home a preopen may name.
const HomeDataDir = "data"

// CheckPreopen refuses a host directory that contains or lies inside the Orbital home (other
// than its data/ directory). Both paths are compared after resolving symlinks, so a link to the
// home is refused too. An empty home refuses nothing (there is no home to protect).
func CheckPreopen(host, home string) error {
	if home == "" || host == "" {
		return nil
	}
	h, hm := realPath(host), realPath(home)
	switch {
	case within(hm, h):
		return fmt.Errorf("%s contains the Orbital home %s (its policies, keys and admin token): grant a directory outside it, or $ORBITAL_HOME/%s/NAME", host, home, HomeDataDir)
	case within(h, hm) && !within(h, filepath.Join(hm, HomeDataDir)):
		return fmt.Errorf("%s is inside the Orbital home %s: modules may be granted only $ORBITAL_HOME/%s/... there", host, home, HomeDataDir)
	}
	return nil
}

// realPath resolves symlinks in p as far as p exists, and cleans it.
func realPath(p string) string {
	p = filepath.Clean(p)
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	dir, base := filepath.Split(p)
	if dir == "" || filepath.Clean(dir) == p {
		return p
	}
	return filepath.Join(realPath(dir), base)
}

// checkOwnership refuses a policy file, or the directory holding it, that someone other than
// its owner may write, or that another user owns: anyone who could write it could grant
// modules anything (ssh refuses loose key files for the same reason).
func checkOwnership(path string, st fs.FileInfo) error {
	what := "policy file"
	if st.IsDir() {
		what = "policies directory"
	}
	if perm := st.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%s %s is writable by %s (mode %04o): anyone who can write it can grant modules anything; run chmod go-w %s",
			what, path, writers(perm), perm, path)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		if uid := int(sys.Uid); uid != os.Getuid() && uid != 0 {
			return fmt.Errorf("%s %s belongs to another user (uid %d): only you or root may own it", what, path, uid)
		}
	}
	return nil
}

func writers(perm fs.FileMode) string {
	switch {
	case perm&0o022 == 0o022:
		return "its group and everyone"
	case perm&0o002 != 0:
		return "everyone"
	}
	return "its group"
}
