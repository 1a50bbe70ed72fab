//go:build unix && !linux

package main

import (
	"runtime"
	"syscall"
)

// rssMethod says how peakRSS measures, for the table's note.
const rssMethod = "the child's own rusage (ru_maxrss), the most of the untimed runs"

// peakRSS returns the largest peak resident set size, in KiB, of runs
// untimed runs of b, from each child's rusage: Go forks (no vfork) here,
// and exec gives the child a task of its own. ru_maxrss is in bytes on
// macOS and iOS, in KiB on the BSDs (getrusage(2)).
func peakRSS(b *bench, runs int) (int64, error) {
	var peak int64 = -1
	for range runs {
		cmd := command(b, b.argv...)
		if err := cmd.Run(); err != nil {
			return 0, err
		}
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			return -1, nil
		}
		kib := int64(ru.Maxrss)
		if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
			kib /= 1024
		}
		peak = max(peak, kib)
	}
	return peak, nil
}
