// eclient drives the demo's e-server and prints what it sent, so the demo can compare the client's own count of
// each iters value with what Calltape recorded.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

const maxRandomIters = 5000

func parseList(s string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad -iters value %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "e-server base URL")
	iters := flag.String("iters", "", "comma-separated iters values, sent in order")
	random := flag.Int("random", 0, "send this many random iters values in [1,5000] instead of -iters")
	seed := flag.Int64("seed", 1, "seed for -random (same seed, same values)")
	concurrency := flag.Int("concurrency", 1, "requests in flight at once")
	timeout := flag.Duration("timeout", 10*time.Second, "per-request timeout")
	flag.Parse()

	var values []int64
	switch {
	case *random > 0 && *iters != "":
		fail("use -iters or -random, not both")
	case *random > 0:
		rng := rand.New(rand.NewSource(*seed))
		for i := 0; i < *random; i++ {
			values = append(values, 1+rng.Int63n(maxRandomIters))
		}
	case *iters != "":
		var err error
		if values, err = parseList(*iters); err != nil {
			fail(err.Error())
		}
	default:
		fail("nothing to send: give -iters or -random")
	}
	if *concurrency < 1 {
		fail("-concurrency must be at least 1")
	}

	client := &http.Client{Timeout: *timeout}
	base := strings.TrimRight(*url, "/")
	jobs := make(chan int64)
	var mu sync.Mutex // one writer at a time, so SENT lines never interleave
	failed := 0
	var wg sync.WaitGroup
	for w := 0; w < *concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				err := send(client, base, n)
				mu.Lock()
				if err != nil {
					failed++
					fmt.Fprintf(os.Stderr, "FAILED iters=%d: %v\n", n, err)
				} else {
					// Printed only after the server answered: the server ran computeE(n) exactly once for it.
					fmt.Printf("SENT iters=%d\n", n)
				}
				mu.Unlock()
			}
		}()
	}
	for _, n := range values {
		jobs <- n
	}
	close(jobs)
	wg.Wait()
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "eclient: %d of %d requests failed\n", failed, len(values))
		os.Exit(1)
	}
}

func send(c *http.Client, base string, n int64) error {
	resp, err := c.Get(fmt.Sprintf("%s/e?iters=%d", base, n))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "eclient: "+msg)
	os.Exit(2)
}
