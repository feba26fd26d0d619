// Package policies turns TOML policy files into each module's namespace: what it may touch,
// decided at every door the kernel has, and an audit log of every refusal.
//
// Default deny: without a grant a module may compute and print, nothing else. Grants come from
// the built-in defaults (policies/defaults) and $ORBITAL_HOME/policies/*.toml. Exactly one file
// applies to a module (by exact name, then publisher key, then the most specific glob; a tie
// refuses it), and its effective namespace is what its manifest requests ∩ what that file
// grants; the command line's grants are added on top, and a spawned child is intersected with
// its parent. A broken file, or one others may write, refuses the modules it could apply to;
// it never widens access. No preopen may contain or lie inside the Orbital home (but data/).
//
// The grant kinds are one table (kinds.go) over one TOML shape (Tables, also a manifest's
// [permissions]): parsing, Render, Intersect, Missing, explain, the prompt's lines and the
// admin summary all walk it. Check lints a home's files (orbital policy check); ask.go decides
// what the shell asks and what an answer does.
//
// # Lifecycle and concurrency
//
// Parse, Set and Namespace are pure values; a Namespace is immutable and safe to share. A Store
// (Open) holds the current Set of one home; Reload re-reads the directory when a file changed
// and Watch polls it until its context ends (the owner runs it in a goroutine). Each process
// binds once (Store.Bind) and gets a Live, re-resolved lazily after a reload, so an edit takes
// effect on the next operation; preopens, env, args and limits are fixed at start. Live.Allowed
// is the hot path (two atomic loads and a comparison); Live.Check audits a refusal. Audit and
// Denials are safe for concurrent use (one mutex each). Store.mu serialises Reload and is a
// leaf lock; Live.mu guards re-resolution and nests nothing.
//
// docs/policies.md is the reference for writing files; docs/design/policies.md and
// docs/design/grants.md give the reasons.
package policies
