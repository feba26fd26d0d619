// Package tomlguard refuses a TOML document that is too large or nests too deeply, before any
// decoder sees it. github.com/BurntSushi/toml parses arrays, inline tables and dotted keys by
// recursion, so a 2 KB file nested two million levels deep ends the whole process with Go's
// "fatal error: stack overflow", which no recover catches. Every place Orbital decodes TOML
// (registry manifests, config.toml and trusted.toml; policy files and a manifest's
// [permissions]) calls Check, or ReadFile for a file on disk, first.
//
// # Bounds
//
// Default: 1 MiB per document, 16 arrays and inline tables open at once, 16 parts per dotted
// key or table header. Orbital's own files are a few KiB and nest at most three levels (an
// array of inline tables in a table), so the bounds leave room for any real file and cost a
// decoder at most a few hundred stack frames. The reasons and the measurements are in
// docs/design/limits.md.
//
// # How
//
// Check is one pass over the bytes with a small state machine (scan.go): it skips strings and
// comments, counts '[' and '{' opened inside values, and counts the dots of each key and table
// header. It does not validate TOML and never refuses a document for its syntax; the decoder
// still reports syntax errors with their line. A refusal is an *Error naming the file and the
// line where the bound was crossed, and matches ErrRefused.
//
// # Concurrency
//
// Check and ReadFile keep no state between calls and are safe from any goroutine.
package tomlguard
