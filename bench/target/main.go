// benchtarget is the benchmark's probed program: a hot loop calling one non-inlined function with two int64
// arguments, timed from the first call to the last, so start-up and attach time never count.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

var sink int64

// record is the probed function. The local array gives it a stack frame without a stack check (a small leaf is
// NOSPLIT), so its first instruction is PUSHQ BP: the kernel emulates that instead of single-stepping it, and
// bpftrace (probing the symbol) and calltape-record (probing after any stack check) hit the same instruction.
//
//go:noinline
func record(a, b int64) int64 {
	var w [4]int64
	w[a&3] = a
	w[b&3] ^= b
	sink += w[0] + w[1] + w[2] + w[3]
	return sink
}

func main() {
	n := flag.Int64("n", 2_000_000, "calls to make")
	delay := flag.Duration("delay", 0, "sleep before the loop (lets a recorder attach to a running process)")
	flag.Parse()
	time.Sleep(*delay)
	start := time.Now()
	for i := int64(0); i < *n; i++ {
		record(i, i^0x5a5a)
	}
	elapsed := time.Since(start)
	// One parseable line; bench/run.sh reads it.
	fmt.Printf("BENCH calls=%d elapsed_ns=%d ns_per_call=%.2f sink=%d\n", *n, elapsed.Nanoseconds(),
		float64(elapsed.Nanoseconds())/float64(*n), sink)
	if *n < 0 {
		os.Exit(2)
	}
}
