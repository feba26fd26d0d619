// Package storage is durable key-value storage for modules: one namespace per module name and
// publisher, kept across versions, reloads and restarts of the instance, under a byte quota the
// module's policy grants ([storage] kv = "64MiB").
//
// Each namespace is its own bbolt file, $ORBITAL_HOME/storage/<publisher>/<name>.db, so a file
// damaged on disk refuses that module only (ErrCorrupt, naming the file) and every other module
// keeps its data. A file is checked (bbolt's consistency check) when it is first opened, and a
// panic inside bbolt while reading a damaged page is recovered and reported the same way.
// Every write is one bbolt transaction, synced to disk before it returns: an acknowledged
// write survives a kill -9 of the instance. A put, a delete and a batch of either are atomic;
// the quota is checked inside the transaction, so a write over quota changes nothing.
//
// # Lifecycle and concurrency
//
// Open returns a Store and starts nothing. Store.DB opens a namespace on first use and counts
// its users; DB.Release closes the file when the last one lets go, and Store.Close closes all.
// A DB is safe for concurrent use (bbolt serialises writers, readers run in parallel). Store.mu
// guards the table of open files and is never held during a transaction. Lock order:
// Store.mu -> readCache.mu (a leaf, never held during a transaction).
//
// Reads: DB.Read (a guest's kv_get) serves a value read before from the namespace's read
// cache (cache.go), which is exact: every write passes DB.update, which pauses the cache for
// the write and empties it after; a read fills it only if no write began since before its
// transaction; the cache ends with the file. DB.Get, List and Usage always read the file.
//
// Limits: keys 1..MaxKey bytes, values up to MaxValue, batches up to MaxBatchOps operations and
// MaxBatchBytes; List pages are bounded by the caller's byte budget. Usage counts the bytes of
// keys and values.
package storage
