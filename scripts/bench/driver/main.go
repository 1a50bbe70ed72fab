// Command driver times whole processes for scripts/bench.sh: each named
// command runs -n times, interleaved with the others so that machine noise
// hits all alike; it prints the median and p95 wall time, the ratio of the
// medians to the first command (the floor), and the peak RSS. With
// -parallel N it also times N simultaneous copies of each command.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

type bench struct {
	name  string
	runs  int // 0 = -n
	argv  []string
	times []time.Duration
	rss   int64 // KiB, max over runs
	par   []time.Duration
}

func main() {
	n := flag.Int("n", 200, "runs of each command")
	parallel := flag.Int("parallel", 32, "copies started at once for the parallel figure (0 = skip)")
	parRounds := flag.Int("parallel-rounds", 10, "rounds of the parallel figure")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: driver [-n N] [-parallel N] NAME[#RUNS]=COMMAND... (the first is the floor; #RUNS caps a slow command's runs and skips its parallel figure)")
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
		b := &bench{name: name, argv: strings.Fields(cmd)}
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
		if _, _, err := runOnce(b.argv); err != nil {
			fmt.Fprintf(os.Stderr, "driver: %s: %v\n", b.name, err)
			os.Exit(1)
		}
	}
	for i := range *n {
		for _, b := range benches {
			if b.runs > 0 && i >= b.runs {
				continue
			}
			d, rss, err := runOnce(b.argv)
			if err != nil {
				fmt.Fprintf(os.Stderr, "driver: %s: %v\n", b.name, err)
				os.Exit(1)
			}
			b.times = append(b.times, d)
			b.rss = max(b.rss, rss)
		}
	}
	if *parallel > 0 {
		for range *parRounds {
			for _, b := range benches {
				if b.runs > 0 {
					continue
				}
				d, err := runParallel(b.argv, *parallel)
				if err != nil {
					fmt.Fprintf(os.Stderr, "driver: %s: %v\n", b.name, err)
					os.Exit(1)
				}
				b.par = append(b.par, d)
			}
		}
	}
	floor := median(benches[0].times)
	fmt.Printf("| command | median | p95 | median / floor | peak RSS |")
	if *parallel > 0 {
		fmt.Printf(" %d at once (median wall) |", *parallel)
	}
	fmt.Printf("\n|---|---|---|---|---|")
	if *parallel > 0 {
		fmt.Printf("---|")
	}
	fmt.Println()
	for _, b := range benches {
		m := median(b.times)
		fmt.Printf("| %s (%d runs) | %s | %s | %.2f× | %.1f MiB |", b.name, len(b.times), ms(m), ms(percentile(b.times, 95)), float64(m)/float64(floor), float64(b.rss)/1024)
		if *parallel > 0 {
			if len(b.par) > 0 {
				fmt.Printf(" %s |", ms(median(b.par)))
			} else {
				fmt.Printf(" – |")
			}
		}
		fmt.Println()
	}
	fmt.Printf("\nUp to %d interleaved runs of each command", *n)
	if *parallel > 0 {
		fmt.Printf("; %d rounds of %d simultaneous copies", *parRounds, *parallel)
	}
	fmt.Println(".")
	if len(benches) > 2 {
		fmt.Println()
		for _, b := range benches[2:] {
			fmt.Printf("%s / %s (median): %.1f×\n", b.name, benches[1].name, float64(median(b.times))/float64(median(benches[1].times)))
		}
	}
}

func runOnce(argv []string) (time.Duration, int64, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = nil // /dev/null
	var errb strings.Builder
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%v: %s", err, errb.String())
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = int64(ru.Maxrss)
	}
	return d, rss, nil
}

func runParallel(argv []string, n int) (time.Duration, error) {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := runOnce(argv); err != nil {
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
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
