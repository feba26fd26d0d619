// Package registry is Orbital's module store and fetcher (placeholder doc, expanded below).
package registry
