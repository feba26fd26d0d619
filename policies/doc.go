// Package policies turns TOML policy files into each module's namespace: what it may touch,
// decided at every door the kernel has, and an audit log of every refusal.
//
// # The model
//
// Default deny. A module may compute and print to its own stdout; anything else (a directory,
// an environment variable, a bus topic, a direct message, a shared region, a device, a network
// host, a window, the clipboard, starting another module, more memory or time than the kernel's
// default) needs a grant. Grants come from policy files: the built-in defaults embedded from
// policies/defaults/ (a small trusted set for the demo modules) and the user's files in
// $ORBITAL_HOME/policies/*.toml.
//
// A module's effective namespace is what its manifest requests intersected with what policy
// grants (Intersect): a manifest cannot widen policy, and policy does not hand a module
// capabilities it never asked for. A bare .wasm run by path has no manifest; it is named after
// its file name without the extension and gets exactly what policy grants. The command line's
// own grants (orbital run --dir, --env) are the user's decision for that run and are added on
// top (Namespace.WithUserGrants). A spawned module never gets more than its parent:
// Namespace.Attenuate intersects the child's namespace with the parent's.
//
// # Which file applies
//
// Exactly one policy file applies to a module, so a reader can point at "the" policy and
// explain prints where every grant came from. Files match by exact module name, by publisher
// key ("publisher:<key>") or by a glob over the name. Precedence, highest first:
//
//  1. an exact name, then a publisher key, then a glob (the more specific the match, the more
//     likely it was written for this module);
//  2. at the same kind, a user file over a built-in default (the user can narrow or widen a
//     default by writing a file for the same module);
//  3. among globs, the one with more literal characters ("cam-*" over "*").
//
// Two valid files tied at the top refuse the module (ErrAmbiguous) rather than pick one by a
// rule nobody would guess. Files are never merged: merging would make a narrowing file powerless
// against a wider one.
//
// # Bad input never widens access
//
// Files decode strictly: an unknown key is an error (a typo like "subscibe" must not silently
// drop a rule). Every error names the file, line and key. A broken file that could apply to a
// module (its match is recovered from the text when possible; otherwise it could apply to any
// module) refuses that module, at start (Bind returns ErrBroken) or, if the file breaks while the
// module runs, on its next operation (every check is denied, naming the file and line). A module
// no file matches runs with nothing granted, and each denial says how to grant:
// orbital policy new NAME.
//
// # Topics
//
// Topics are tokens separated by '.' (or '/'); in patterns "*" is exactly one token and a final
// ">" one or more. A publish or request is allowed when a granted pattern matches the topic; a
// subscription when a granted pattern covers the whole requested pattern (Covers), so "input.>"
// allows subscribing to "input.key" but "input.*" does not allow "input.>".
//
// # Lifecycle and concurrency
//
// Parse and Set are pure and hold no state. A Store (Open) holds the current Set of one Orbital
// home; Store.Reload re-reads the directory when a file's name, size or mtime changed, and
// Store.Watch polls it (the owner runs Watch in a goroutine and stops it with its context). Each
// process binds once (Store.Bind) and gets a Live; Live.Allowed (fast, no audit) and Live.Check
// (audits a refusal) are what every door calls. The common path is the process's last
// decision again, tagged with the store generation it was made at: two atomic loads and a
// string comparison. After a reload the generation differs, the next check re-resolves, and so
// an edited file takes effect on the next operation without a restart. WASI preopens, env, args and limits are fixed when a
// process starts (wasmtime cannot change them under a running instance); bus, regions, devices,
// surfaces and the rest are checked live. A Namespace is immutable and safe to
// share; it keeps its last few decisions in a small lock-free cache (a process usually
// publishes on the same few topics), so a check on the bus's hot path is a few atomic loads and
// a string comparison. The Audit log is safe for concurrent use (one mutex around an O_APPEND
// file).
//
// # The doors
//
// The kernel (kernel/namespace.go) asks at every door: WASI preopens, environment, arguments
// and memory/deadline ceilings are shaped at spawn; the bus's Check hook decides send (needs
// bus.direct), publish and request (a granted pattern matches the topic), subscribe (a granted
// pattern covers the pattern) and region creation (regions.max > 0 and the size within
// regions.bytes; the count and total bytes are the inbox's region limits); a reply needs no
// grant (it answers a request the module received). surface_create asks ui.windows and
// ui.max_surface; native drivers ask for the device grant through the kernel's CheckDevice;
// a process spawned with a parent gets at most the parent's namespace. Host-side file access
// on a module's behalf goes through Namespace.OpenFile, which opens inside the preopen with
// os.Root, so "..", absolute paths and symlinks cannot leave it (guests' own WASI access is
// confined by wasmtime; the end-to-end tests check both). clipboard_read and clipboard_write
// ask ui.clipboard (op "clipboard", object "read" or "write"; one grant covers both).
// The kernel's http_fetch asks AllowNet for the URL, every redirect and every dial; proc_spawn
// asks AllowSpawn and then attenuates the child by its parent. limits.fuel is enforced by
// the kernel: a module with a fuel ceiling runs metered (on a separate fuel engine, so
// unmetered modules pay nothing) and ends "out of fuel", naming this file and line, once it
// has executed that many wasm fuel units (about one per instruction). limits.cpu ("25%", a
// share of one core) is enforced by the kernel too: a guest ahead of its share is held back
// until wall time catches up (kernel/cpushare.go).
//
// # Permission prompts
//
// The shell asks the user when a module's manifest requests more than policy grants: Missing
// computes what to ask about (a Prompt), an "allow once" answer is passed as the kernel's
// SpawnOptions.Grants (added like the command line's grants), and "allow always" is
// WriteAlways, which writes a readable policy file (keeping a hand-written one as .bak); a
// "deny" answer is kept in Denials ($ORBITAL_HOME/state/denied.json, per module version), so
// the shell asks once. Doors a
// module reaches only while it runs (a fetch, a spawn, the clipboard) are asked about when
// they refuse: the kernel's Asker (kernel/ask.go) puts the question on the same card, and an
// "always" answer goes through WriteAlways too.
//
// # Audit
//
// Every denial a Live decides is a JSON line in $ORBITAL_HOME/audit.log (time, pid, module,
// operation, object, the rule that applied or "no grant"). Past DefaultAuditMax the file rotates
// to audit.log.1, so the log stays bounded. `orbital audit` prints it as a table.
//
// # Libraries
//
// github.com/BurntSushi/toml decodes the files: it is the most used Go TOML library, reports
// syntax errors with positions and lists undecoded keys (MetaData.Undecoded) for strict
// decoding. It keeps the positions of keys private, so lineIndex scans the source once to find
// the line of each key for semantic errors and for explain. os.Root (Go 1.24+) confines
// host-side file access without hand-written path checks. Topic matching is hand-written
// (it is Orbital's own idea, and must not allocate on the bus's hot path); globs use path.Match.
package policies
