/*
 * The rich-probe benchmark's C target: a hot loop calling one non-inlined function that takes four C strings and
 * returns a long, timed from the first call to the last so start-up and attach time never count. bench/rich.sh
 * probes it at entry (four NUL-terminated strings followed) and at return (a uretprobe: the long result).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile long sink;

/*
 * The local array gives rich a stack frame, so with -fno-omit-frame-pointer its first instruction is PUSH RBP, which
 * the kernel emulates (bench/run.sh says the same of the Go target). A first instruction the kernel must single-step
 * costs ~10 us on this VM and would swamp every difference being measured.
 */
__attribute__((noinline)) long rich(const char *user, const char *city, const char *sku, const char *note)
{
	volatile char w[4];

	w[0] = user[0];
	w[1] = city[1];
	w[2] = sku[2];
	w[3] = note[3];
	return (long)w[0] + w[1] + w[2] + w[3] + sink;
}

int main(int argc, char **argv)
{
	long n = argc > 2 && strcmp(argv[1], "-n") == 0 ? atol(argv[2]) : 1000000;
	static const char *users[] = { "alice", "bob", "carol-with-a-longer-name", "dave" };
	static const char *cities[] = { "Lisbon", "Oslo", "San Francisco", "Kyoto" };
	struct timespec t0, t1;
	char sku[32], note[64];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		snprintf(sku, sizeof sku, "SKU-%06ld", i % 1000000);
		snprintf(note, sizeof note, "order %ld for a customer", i);
		sink = rich(users[i & 3], cities[(i >> 2) & 3], sku, note);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
	/* One parseable line, as bench/target prints; snprintf's cost is in every mode alike. */
	printf("BENCH calls=%ld elapsed_ns=%ld ns_per_call=%.2f sink=%ld\n", n, ns, (double)ns / (double)n, sink);
	return 0;
}
