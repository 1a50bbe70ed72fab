package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// rssMethod says how peakRSS measures, for the table's note.
const rssMethod = "/usr/bin/time -f %M (KiB), the most of the untimed runs"

// peakRSS returns the largest peak resident set size, in KiB, of runs
// untimed runs of b under /usr/bin/time (GNU time); -1 without it.
//
// The child's own rusage (ProcessState.SysUsage) cannot tell it on Linux:
// Go starts children with vfork (CLONE_VM), and execve records the
// high-water mark of the memory it leaves, which is the driver's, in the
// child's ru_maxrss (fs/exec.c exec_mmap, setmax_mm_hiwater_rss; see
// golang/go#32054), so every command showed the driver's 7.5 MiB. GNU time
// forks a copy of its own, small, memory instead.
func peakRSS(b *bench, runs int) (int64, error) {
	const timeCmd = "/usr/bin/time"
	if _, err := os.Stat(timeCmd); err != nil {
		return -1, nil
	}
	out := filepath.Join(os.TempDir(), fmt.Sprintf("driver-rss-%d", os.Getpid()))
	defer os.Remove(out)
	var peak int64 = -1
	for range runs {
		cmd := command(b, append([]string{timeCmd, "-f", "%M", "-o", out}, b.argv...)...)
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("%s %s: %v", timeCmd, strings.Join(b.argv, " "), err)
		}
		text, err := os.ReadFile(out)
		if err != nil {
			return 0, err
		}
		lines := strings.Fields(string(text))
		if len(lines) == 0 {
			return 0, fmt.Errorf("%s wrote nothing", timeCmd)
		}
		kib, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q: %v", timeCmd, text, err)
		}
		peak = max(peak, kib)
	}
	return peak, nil
}
