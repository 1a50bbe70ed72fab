//go:build !unix

package main

// rssMethod says how peakRSS measures, for the table's note.
const rssMethod = "not measured on this system"

// peakRSS returns -1: Windows reports no peak memory in a finished
// process's usage (os.ProcessState.SysUsage has times only).
func peakRSS(b *bench, runs int) (int64, error) { return -1, nil }
