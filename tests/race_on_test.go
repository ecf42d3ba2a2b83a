//go:build race

package tests

// raceEnabled tells helpers that build binaries to build them like the test binary, so the
// build reuses its cache.
const raceEnabled = true
