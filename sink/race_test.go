//go:build race

package sink

// raceEnabled reports whether the race detector is on; it makes sync.Pool drop items, so allocation counts grow.
const raceEnabled = true
