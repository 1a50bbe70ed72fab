// Command driver times whole processes for scripts/bench.sh: each named
// command runs -n times, interleaved with the others so that machine noise
// hits all alike; it prints the median and p95 wall time, the ratio of the
// medians to the first command (the floor), the median CPU time (user +
// system, which other load on the machine disturbs less than wall time) and
// the peak RSS of the command itself (see peakRSS). With -parallel N it also times N
// simultaneous copies of each command, and their ratio to the floor's.
//
// A command is NAME[#RUNS]=[VAR=value ...] PROGRAM [ARG ...]: leading
// VAR=value words are set in its environment, as a shell would.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

type bench struct {
	name  string
	runs  int      // 0 = -n
	env   []string // VAR=value added to the driver's environment
	argv  []string
	times []time.Duration
	cpu   []time.Duration // user + system time of each timed run
	rss   int64           // KiB, max over the measuring runs; < 0 when unknown
	par   []time.Duration
}

func main() {
	n := flag.Int("n", 200, "runs of each command")
	parallel := flag.Int("parallel", 32, "copies started at once for the parallel figure (0 = skip)")
	parRounds := flag.Int("parallel-rounds", 10, "rounds of the parallel figure")
	rssRuns := flag.Int("rss-runs", 5, "untimed runs of each command that measure its peak RSS")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: driver [-n N] [-parallel N] NAME[#RUNS]=[VAR=value ...] COMMAND... (the first is the floor; #RUNS caps a slow command's runs and skips its parallel figure)")
		flag.PrintDefaults()
	}
	flag.Parse()
	var benches []*bench
	for _, a := range flag.Args() {
		name, cmd, ok := strings.Cut(a, "=")
		if !ok || cmd == "" {
			flag.Usage()
			os.Exit(2)
		}
		b := &bench{name: name}
		for _, w := range strings.Fields(cmd) {
			if len(b.argv) == 0 && strings.Contains(w, "=") && !strings.HasPrefix(w, "=") {
				b.env = append(b.env, w)
				continue
			}
			b.argv = append(b.argv, w)
		}
		if len(b.argv) == 0 {
			flag.Usage()
			os.Exit(2)
		}
		if nm, runs, ok := strings.Cut(name, "#"); ok {
			fmt.Sscan(runs, &b.runs)
			b.name = nm
		}
		benches = append(benches, b)
	}
	if len(benches) == 0 {
		flag.Usage()
		os.Exit(2)
	}
	for _, b := range benches { // warm up caches, and check that each works
		if _, _, err := runOnce(b); err != nil {
			fatal(b, err)
		}
	}
	for i := range *n {
		for _, b := range benches {
			if b.runs > 0 && i >= b.runs {
				continue
			}
			d, cpu, err := runOnce(b)
			if err != nil {
				fatal(b, err)
			}
			b.times = append(b.times, d)
			b.cpu = append(b.cpu, cpu)
		}
	}
	if *parallel > 0 {
		for range *parRounds {
			for _, b := range benches {
				if b.runs > 0 {
					continue
				}
				d, err := runParallel(b, *parallel)
				if err != nil {
					fatal(b, err)
				}
				b.par = append(b.par, d)
			}
		}
	}
	for _, b := range benches {
		rss, err := peakRSS(b, *rssRuns)
		if err != nil {
			fatal(b, err)
		}
		b.rss = rss
	}

	floor, floorPar := median(benches[0].times), median(benches[0].par)
	fmt.Printf("| command | median | p95 | median / floor | CPU (median) | peak RSS |")
	if *parallel > 0 {
		fmt.Printf(" %d at once (median wall) | %d at once / floor's |", *parallel, *parallel)
	}
	fmt.Printf("\n|---|---|---|---|---|---|")
	if *parallel > 0 {
		fmt.Printf("---|---|")
	}
	fmt.Println()
	for _, b := range benches {
		m := median(b.times)
		rss := "–"
		if b.rss >= 0 {
			rss = fmt.Sprintf("%.1f MiB", float64(b.rss)/1024)
		}
		fmt.Printf("| %s (%d runs) | %s | %s | %.2f× | %s | %s |", b.name, len(b.times), ms(m), ms(percentile(b.times, 95)), float64(m)/float64(floor), ms(median(b.cpu)), rss)
		if *parallel > 0 {
			if len(b.par) > 0 {
				p := median(b.par)
				fmt.Printf(" %s | %.2f× |", ms(p), float64(p)/float64(floorPar))
			} else {
				fmt.Printf(" – | – |")
			}
		}
		fmt.Println()
	}
	fmt.Printf("\nUp to %d interleaved runs of each command", *n)
	if *parallel > 0 {
		fmt.Printf("; %d rounds of %d simultaneous copies", *parRounds, *parallel)
	}
	fmt.Printf("; peak RSS: %s.\n", rssMethod)
	if len(benches) > 2 {
		fmt.Println()
		for _, b := range benches[2:] {
			fmt.Printf("%s / %s (median): %.2f×\n", b.name, benches[1].name, float64(median(b.times))/float64(median(benches[1].times)))
		}
	}
}

func fatal(b *bench, err error) {
	fmt.Fprintf(os.Stderr, "driver: %s: %v\n", b.name, err)
	os.Exit(1)
}

// command returns b's command, its output discarded.
func command(b *bench, argv ...string) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), b.env...)
	cmd.Stdout = nil // /dev/null
	return cmd
}

// runOnce runs b once and returns its wall time and CPU time.
func runOnce(b *bench) (wall, cpu time.Duration, err error) {
	cmd := command(b, b.argv...)
	var errb strings.Builder
	cmd.Stderr = &errb
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%v: %s", err, errb.String())
	}
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

func runParallel(b *bench, n int) (time.Duration, error) {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := runOnce(b); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	close(errs)
	return d, <-errs
}

func median(d []time.Duration) time.Duration { return percentile(d, 50) }

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
