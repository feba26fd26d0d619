// Package registry is Orbital's module store: it fetches, verifies, installs, finds and serves
// modules (apps, services, libraries, drivers). The kernel asks it for the bytes of a module or
// library to run; cmd/orbital and package system wire it to the CLI verbs (install, search, ls,
// info, rm, pack, sign, publish, registry serve), to module names and to the shell's URL bar.
//
// # Layout on disk
//
// Everything lives under the Orbital home ($ORBITAL_HOME, --home):
//
//	registry/state.db                     bbolt: installed versions (bucket "versions",
//	                                      key "name\x00version" -> Record JSON) and a
//	                                      generation counter bumped by every change; bucket
//	                                      "digests" indexes the versions by entry digest
//	                                      (ByDigest: the identity of a loaded module)
//	registry/blobs/sha256/<hex>           content-addressed entry modules and package files
//	registry/modules/<name>/<version>/    one installed version:
//	    module.toml                       its manifest (the Record holds this file's digest)
//	    <name>.wasm                       hard link to the entry blob, so a process loaded
//	                                      from it is named after the module (<name>.js
//	                                      for a script)
//	registry/index.bleve/                 full-text index, one document per module name
//	registry/staging/                     work area of the install in progress
//	registry/trusted.toml                 publisher keys trusted for remote packages
//	config.toml [registry] remotes = [...]   registry servers tried after the local store
//	keys/publisher.key                    your ed25519 signing key (orbital sign creates it)
//
// # The manifest
//
// module.toml keys (unknown keys are errors, reported with file and line):
// name, version (strict semver), kind (app, service, library, driver), description, tags,
// entry (file in the package), entry_digest ("sha256:<hex>", filled by orbital pack),
// exports, abi_version, restart (never, on-failure, always), instances and idle_timeout (a
// service called by name: how many processes of it run, 1 to 64, default 1; how long one runs
// without calls, "30s" of at least 1s or "never", default 5m: service.go), [dependencies] (library name =
// semver range), [triggers] (boot, topics, schedule: "@every 30s", "@hourly", five cron fields;
// once, delay, repeat; url_schemes: triggers.go parses them), [files] (extra file =
// digest, filled by pack), [permissions] (the policy-file tables: fs, env, process, bus,
// regions, devices, net, limits, ui — policies.ParseRequests reads them from RequestsTOML),
// publisher ("ed25519:<base64>") and signature (base64).
//
// A package is a .tar.gz with module.toml at the top, the entry .wasm and extra files. A bare
// .wasm is a package too: its manifest is derived (name from the file name, version 0.0.0,
// kind library when it exports functions and has no _start, app otherwise; imports from other
// modules become dependencies on any version). `orbital install --manifests DIR` gives a bare
// X.wasm the manifest DIR/X/module.toml instead (how `make run` installs the demos). An entry
// named *.js is a JavaScript script (script.go): UTF-8 text of at most 4 MiB that the
// JavaScript engine module runs, an app; a bare .js is an app named after the file.
//
// # Sources
//
// Install and Resolve take what a user types (ParseRef): an existing file or directory (paths
// win over names), an http(s) URL (Fetch: size cap checked while streaming, progress,
// retries with backoff, Range resume, typed errors), orbital://name[@range] or name[@range]
// (the best installed version, else the first remote registry that has one in range), and
// anything else as search words (an error listing the best matches). A directory holding
// module.toml is packed and installed; any other directory installs each .wasm and .tar.gz in
// it, libraries before the modules that import them.
//
// # Install steps
//
// Before any lock: read or fetch the package into memory, check the archive (no "..", no
// absolute paths, no links or devices, entry-count and size caps enforced while streaming),
// parse and validate the manifest, verify every digest, check the signature and trust, and make
// sure every dependency range is satisfied (fetching missing libraries from the remotes).
// Then, holding the exclusive bbolt lock (so installs from several processes serialize):
//
//  1. locked: refuse a downgrade without AllowDowngrade and a different package under an
//     installed version (ErrConflict); refuse a dependency cycle.
//  2. staged: write the blobs and the manifest into staging/, fsync each and the directory.
//  3. blobs: rename the blobs into blobs/sha256 (content-addressed: an intact one is kept).
//  4. manifest: build the version directory in staging (module.toml + NAME.wasm hard link),
//     rename it into modules/<name>/<version>, fsync the parent. A replacement (--replace) or
//     repair of an installed version goes beside the live directory, <version>~<digest>
//     (Record.Dir), never over it.
//  5. committed: one bbolt transaction adds (or switches) the Record and bumps the
//     generation. This is the commit point: before it the version does not exist (or is the
//     old one, intact), after it it is complete. A replaced version's files go right after.
//  6. indexed: update the bleve document of the name and store the generation in the index.
//
// A crash anywhere (kill -9) leaves either the old state or the complete new one. Open cleans
// up under the same lock: it empties staging/, deletes version directories and blobs no record
// references, and rebuilds the index when its generation differs from the state's. Every load
// (Load, LoadLibrary, PackageOf) checks the manifest and entry digests again; a damaged file is
// an error naming it, and reinstalling the same package repairs it. InstallOptions.AfterStep
// hears each step; the kill test (internal/faults) stops an installer there and kills it.
//
// # Trust
//
// A signature is ed25519 over "orbital-manifest-v1\n" + the manifest encoded with signature
// empty; the manifest holds the entry and file digests, so the signature covers the code. A
// present signature must verify, whatever the source. Packages from a remote registry must
// also be signed (else ErrUnsigned, unless AllowUnsigned) by a key listed in
// registry/trusted.toml (else ErrUntrusted, unless AllowUntrusted; `orbital registry trust
// KEY` adds one). Local files and URLs the user typed may be unsigned. The registry server
// accepts only signed uploads, keeps a name to its first publisher's key (checked under the
// install lock: InstallOptions.KeepPublisher), and with --require-trusted only keys in its own
// trust list. It reads an upload as a stream (upload.go): module.toml first and alone until
// the signature, trust and publisher checks pass, then only the files the signed manifest
// lists, within ServerLimits (bytes, uploads and downloads in flight, connections, timeouts;
// docs/design/limits.md).
//
// Every TOML document (manifests, config.toml, trusted.toml) passes internal/tomlguard's size
// and nesting bounds before it is decoded.
//
// # Shared libraries
//
// A library is a module of kind library (a reactor). A module importing functions from a
// module name, e.g. (import "imagefx" "blur" ...), gets the best installed library version in
// its manifest's [dependencies] range, linked directly to it by kernel/library.go, one
// instance per caller. When the library exports orbital_alloc(len) -> ptr, a function whose
// first two parameters are i32 takes (ptr, len) of a buffer in the caller's memory; generated
// code copies it into a scratch buffer in the library's memory (allocated once, grown when a
// call needs more, the old one given to orbital_free) and back around the call. See
// modules/imagefx and modules/blurview.
//
// # Concurrency and lifecycle
//
// A *Registry holds no open files between calls: every operation opens the bbolt state
// (shared lock to read, exclusive to change) and the bleve index (read-only to search) for its
// own duration — each open costs well under a millisecond — so the shell, `orbital run` and
// `orbital install` can share one home; a process waiting on another's install gives up after
// LockTimeout with ErrBusy. A *Registry may be used from several goroutines. Open runs the
// crash recovery above; there is nothing to Close.
//
// # Libraries chosen
//
//   - go.etcd.io/bbolt for the installed state: one file, ACID transactions with fsync on
//     commit, a cross-process file lock; the commit point of an install is one transaction.
//   - github.com/blevesearch/bleve/v2 for search: field boosts (name > tags > exports >
//     description), English stemming for descriptions, prefix and fuzzy matching for the URL
//     bar's completion; about 0.5 ms per query over 1,000 manifests (BenchmarkSearch:
//     base=linear-scan of the manifests ~160 ms).
//   - github.com/Masterminds/semver/v3 for versions and ranges (^1.2, ~1.2, >=1, <3, ||):
//     the range syntax npm and Cargo users know.
//   - github.com/BurntSushi/toml for module.toml: MetaData.Undecoded for unknown keys,
//     ParseError positions for line numbers; the same library the policies use.
//   - crypto/ed25519 and crypto/sha256 from the standard library; archive/tar and
//     compress/gzip for packages.
package registry
