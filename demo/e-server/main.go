// e-server is the demo target for Calltape: an HTTP server whose hot function, computeE, is what the demo records.
// It has no dependencies so that the demo builds offline with Debian's Go 1.19.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"strconv"
)

// maxIters bounds one request's work; the client draws from [1,5000], the headroom is for manual curl use.
const maxIters = 1_000_000

// computeE approximates e as the sum of 1/k! for k < iterations.
// noinline keeps the symbol and its call site, so a uprobe on main.computeE sees every call with
// iterations in RAX (Go register ABI).
//
//go:noinline
func computeE(iterations int64) float64 {
	sum := 0.0
	term := 1.0 // 1/k!, updated incrementally so each step is one division
	for k := int64(0); k < iterations; k++ {
		if k > 0 {
			term /= float64(k)
		}
		sum += term
	}
	return sum
}

func handleE(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	n, err := strconv.ParseInt(r.URL.Query().Get("iters"), 10, 64)
	if err != nil || n < 0 || n > maxIters {
		http.Error(w, fmt.Sprintf("iters must be an integer in [0,%d]", maxIters), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%.15f\n", computeE(n))
}

func handleHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("/e", handleE)
	mux.HandleFunc("/healthz", handleHealthz)
	log.Printf("e-server listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
