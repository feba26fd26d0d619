// Package canvas draws anti-aliased shapes into an *image.RGBA with nothing but the standard
// library: filled circles, rings and round-capped lines (capsules), which is all a clock face, a
// brush stroke or a game board needs. Each shape computes, per pixel in its bounding box, how
// much of the pixel it covers from the distance to its outline (one pixel of soft edge) and
// blends the colour in with source-over.
//
// It is pure Go (builds for the host too, so it is tested there) and keeps no state: every
// function draws straight into the image it is given, clipped to the image's bounds. Callers
// serialise drawing into one image themselves.
package canvas
