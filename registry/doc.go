// Package registry is Orbital's module store: it fetches, verifies, installs, finds and serves
// modules (apps, services, libraries, drivers, scripts). The kernel asks it for the bytes of a
// module or library to run; package system wires it to module names, the URL bar and the CLI
// (install, search, ls, info, rm, pack, sign, publish, registry serve).
//
// Everything lives under $ORBITAL_HOME/registry: a bbolt state (installed versions, a
// generation, an index by entry digest for ByDigest), content-addressed blobs, one directory
// per installed version (module.toml and a hard link to its entry), a bleve search index, a
// staging area and trusted.toml. A package is a signed .tar.gz with module.toml (Manifest: one
// strict schema; [permissions] is policies.Tables) and the files it lists; a bare .wasm or .js
// is a package with a derived manifest. Sources are files, directories, http(s) URLs,
// orbital://name[@range] and search words (ParseRef).
//
// An install checks the archive, manifest, digests, signature and trust before any lock, then
// under the exclusive bbolt lock stages, renames and commits in one transaction: a kill -9 at
// any step leaves the old state or the complete new one, and Open repairs what a crash left.
// Every load checks the digests again. The registry server (Server) reads uploads as a stream,
// checking the signed manifest before anything else is decompressed, within ServerLimits.
// Every TOML document passes internal/tomlguard first; every module passes CheckWasmLimits
// before it is compiled.
//
// # Lifecycle and concurrency
//
// A *Registry holds no open files between calls: each operation opens the bbolt state (shared
// lock to read, exclusive to change) and the index for its own duration, so several Orbital
// processes share one home; one waiting on another's install gives up after LockTimeout with
// ErrBusy. A *Registry is safe for concurrent use; there is nothing to Close. A Server's
// goroutines end with its listener.
//
// docs/design/registry.md has the disk layout, the manifest's keys, the install steps, trust
// and shared libraries in full, and the libraries chosen.
package registry
