// Package backup writes and reads Orbital's backup archives: one .tar.gz holding the files of
// a home, checked end to end by a manifest of per-file sha256 digests. It knows nothing of
// what the files are; package system decides what goes in and takes the snapshots
// (docs/design/backup.md).
//
// # Format
//
// A gzip-compressed tar. The first entry is .orbital-backup/header.json (Header: format name,
// version, creation time, whether keys are in); then the files in name order, each a regular
// file or a hard link to an earlier file (a registry blob and the version directory's link to
// it are stored once); the last entry is .orbital-backup/manifest.json (Manifest: every
// file's path, size, sha256 and mode, in archive order). Nothing may follow the manifest.
//
// # Reading
//
// Verify reads a whole archive and writes nothing: a header of a newer version is ErrNewer
// before anything else is read; names must be relative, clean and free of "..", and entries
// regular files or hard links to earlier files (a link, a device or a path out of the home is
// ErrInvalid); every file's digest and size must match the manifest (ErrTampered), and a
// stream that ends early is ErrTruncated. Restore runs Verify, then reads the archive again
// into a staging directory beside the home (checking everything again: the file could change
// between the passes), syncs it and renames it into place; a failure at any step removes the
// staging directory and leaves the home as it was. A home that is not empty is refused
// (ErrNotEmpty) unless Force, which moves the old home aside and removes it once the new one
// is in place.
//
// # Limits
//
// MaxFiles entries, MaxFileSize per file, MaxPathLen per name, MaxMetaBytes for the header and
// manifest. A reader never holds a file in memory: contents stream through the hash into
// their destination.
//
// # Concurrency
//
// Functions only; no goroutines, no shared state. Write must be given files that do not change
// while it reads them (system snapshots what changes in place).
//
// archive/tar and compress/gzip from the standard library: the format every tool reads, so a
// backup can be inspected with `tar tzf` in an emergency.
package backup
