// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * One generic uprobe handler, built as two programs (one per attach mode, at the end). The attach cookie is the
 * probe id; the plan for that id (bpf/calltape.h, struct ct_plan) says which stack window and which bounded
 * dereferences to copy. Registers are always copied: reading pt_regs is cheaper than deciding which ones to skip,
 * and the recorder keeps only those the plan names.
 *
 * Records are submitted with BPF_RB_NO_WAKEUP: the recorder drains the ring on a timer, because a wakeup per
 * event costs 2-4 us on this VM (shared/notes/FACTS.md, "Cost of a uprobe").
 */
#include <linux/bpf.h>
#include <asm/ptrace.h>
#include <bpf/bpf_helpers.h>
#include "calltape.h"

/* barrier_var (bpf_helpers.h) hides a value from clang's range analysis, so a following mask is kept for the verifier. */

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);	/* resized by the recorder before load (--ring-size) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CT_MAX_PROBES);
	__type(key, __u32);
	__type(value, struct ct_plan);
} plans SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CT_MAX_PROBES);
	__type(key, __u32);
	__type(value, struct ct_counters);
} counters SEC(".maps");

/*
 * The per-CPU buffer a record is built in, and where the bytes of each dereference copied so far sit in it (for
 * CT_SRC_DEREF sources). Only buf[0, off) is submitted.
 */
struct ct_scratch {
	__u8 buf[CT_SCRATCH_SIZE];
	__u32 start[CT_MAX_DEREFS];
	__u32 len[CT_MAX_DEREFS];
	__u32 busy;	/* 1 while a program builds a record here (see handle) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_scratch);
} scratch SEC(".maps");

/* 8 bytes at byte `at` of dereference j, which must precede dereference i; fallback when its bytes do not reach. */
static __always_inline __u64 deref_value(const struct ct_scratch *s, __u32 i, __u32 j, __u32 at, __u64 fallback)
{
	__u32 len, p;
	__u64 v = fallback;

	if (j >= i || j >= CT_MAX_DEREFS)
		return fallback;
	barrier_var(j);
	j &= CT_MAX_DEREFS - 1;
	len = s->len[j];
	if (at + 8 > len)
		return fallback;
	p = (s->start[j] + at) & (CT_SCRATCH_SIZE - 1);
	if (p > CT_SCRATCH_SIZE - 8)
		return fallback;
	/* The offset into the map value is only known at run time: read it through the helper. */
	if (bpf_probe_read_kernel(&v, sizeof(v), s->buf + p) != 0)
		return fallback;
	return v;
}

/*
 * Registers are read from the copy already in the record: the verifier rejects loads through a ctx pointer with a
 * variable offset ("dereference of modified ctx ptr"), and the copy is what the record carries anyway.
 */
static __always_inline __u64 src_value(const struct ct_scratch *sc, __u32 i, const struct ct_src *s, __u64 fallback)
{
	const struct ct_event *ev = (const struct ct_event *)sc->buf;
	__u64 v = fallback;
	__u32 k = s->index;

	if (s->kind == CT_SRC_REG)
		return k < CT_NREGS ? ev->regs[k] : fallback;
	if (s->kind == CT_SRC_DEREF)
		return deref_value(sc, i, s->pad, k, fallback);
	if (s->kind == CT_SRC_STACK &&
	    bpf_probe_read_user(&v, sizeof(v), (void *)(ev->regs[CT_REG_RSP] + k)) != 0)
		return fallback;
	return v;
}

/* The state bpf_loop hands each dereference: one callback is verified once, whatever CT_MAX_DEREFS is. */
struct deref_loop {
	struct ct_scratch *sc;
	const struct ct_plan *plan;
	__u32 off;
};

static long copy_deref(__u32 i, struct deref_loop *c)
{
	struct ct_scratch *sc = c->sc;
	struct ct_event *ev = (struct ct_event *)sc->buf;
	const struct ct_deref *d;
	struct ct_deref_hdr *h;
	__u64 ptr, want, scale;
	__u32 n, off = c->off;
	long err;

	if (i >= CT_MAX_DEREFS || i >= c->plan->n_derefs)
		return 1;
	/* Restated after a barrier: clang would otherwise index with the unchecked copy of i. */
	barrier_var(i);
	i &= CT_MAX_DEREFS - 1;
	d = &c->plan->derefs[i];
	/* Bounds the verifier can follow: off and the masked n below always fit the scratch buffer. */
	if (off > CT_SCRATCH_SIZE - sizeof(*h) - 2 * CT_MAX_DEREF_LEN)
		return 1;
	h = (struct ct_deref_hdr *)(sc->buf + off);
	ptr = src_value(sc, i, &d->ptr, 0);
	want = src_value(sc, i, &d->len, d->max_len);
	scale = d->flags >> CT_DEREF_SCALE_SHIFT;
	if (scale > 1 && d->len.kind != CT_SRC_NONE && want <= 0xffffffffULL)
		want *= scale;
	n = want < d->max_len ? (__u32)want : d->max_len;
	if (n > CT_MAX_DEREF_LEN)
		n = CT_MAX_DEREF_LEN;
	h->want = want > 0xffffffffULL ? 0xffffffffU : (__u32)want;
	h->len = 0;
	h->err = 0;
	off += sizeof(*h);
	if (ptr == 0) {
		h->err = -14;	/* EFAULT: a nil pointer is recorded, not followed */
	} else if ((d->flags & CT_DEREF_OUTSIDE_IMAGE) &&
		   ptr - (ev->regs[CT_REG_RIP] - c->plan->link_ip) - c->plan->image_lo <
			   c->plan->image_hi - c->plan->image_lo) {
		/* In the binary's image (unsigned compare of the link-time address against [lo, hi)): not read. */
		h->want = 0;
	} else if (d->flags & CT_DEREF_CSTR) {
		/* Up to max_len bytes including the NUL; want = max_len, so a string that fills it reads as truncated. */
		n = d->max_len;
		if (n > CT_MAX_DEREF_LEN)
			n = CT_MAX_DEREF_LEN;
		barrier_var(n);
		n &= 2 * CT_MAX_DEREF_LEN - 1;
		h->want = n;
		err = bpf_probe_read_user_str(sc->buf + off, n, (void *)(ptr + d->offset));
		if (err > 0) {
			n = (__u32)err & (2 * CT_MAX_DEREF_LEN - 1);
			h->len = n;
		} else {
			h->err = (__s16)err;
		}
	} else if (n > 0) {
		/* n <= CT_MAX_DEREF_LEN already; the mask restates it where clang loses the bound. */
		barrier_var(n);
		n &= 2 * CT_MAX_DEREF_LEN - 1;
		err = bpf_probe_read_user(sc->buf + off, n, (void *)(ptr + d->offset));
		if (err == 0)
			h->len = n;
		else
			h->err = (__s16)err;
	}
	sc->start[i] = off;
	sc->len[i] = h->len;
	c->off = off + h->len;
	ev->n_derefs = i + 1;
	return 0;
}

static __always_inline void fill_head(struct ct_event *ev, const struct pt_regs *ctx, __u32 id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	ev->ktime_ns = bpf_ktime_get_ns();
	ev->cookie = id;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->cpu = bpf_get_smp_processor_id();
	ev->stack_len = 0;
	ev->n_derefs = 0;
	ev->flags = 0;
	ev->regs[CT_REG_RAX] = ctx->rax;
	ev->regs[CT_REG_RBX] = ctx->rbx;
	ev->regs[CT_REG_RCX] = ctx->rcx;
	ev->regs[CT_REG_RDX] = ctx->rdx;
	ev->regs[CT_REG_RSI] = ctx->rsi;
	ev->regs[CT_REG_RDI] = ctx->rdi;
	ev->regs[CT_REG_R8] = ctx->r8;
	ev->regs[CT_REG_R9] = ctx->r9;
	ev->regs[CT_REG_R10] = ctx->r10;
	ev->regs[CT_REG_R11] = ctx->r11;
	ev->regs[CT_REG_R12] = ctx->r12;
	ev->regs[CT_REG_R13] = ctx->r13;
	ev->regs[CT_REG_R14] = ctx->r14;
	ev->regs[CT_REG_R15] = ctx->r15;
	ev->regs[CT_REG_RBP] = ctx->rbp;
	ev->regs[CT_REG_RSP] = ctx->rsp;
	ev->regs[CT_REG_RIP] = ctx->rip;
}

/* The user stack block as the walk fills it: the header and room for the deepest walk. */
struct ct_ustack_block {
	struct ct_ustack_hdr hdr;
	__u64 frames[CT_MAX_USTACK];
};

/*
 * Fills the user stack block and returns its frame count. An explicit frame-pointer walk rather than
 * bpf_get_stack(BPF_F_USER_STACK): at a function's entry the caller's return address is at [SP], not in the RBP
 * chain, and the kernel adds it only when the probed instruction is `push %rbp` or endbr64
 * (is_uprobe_at_func_entry, arch/x86/events/core.c), which a frameless Go leaf function does not start with.
 *
 * A global (noinline, non-static) function: the verifier checks it once on its own, instead of once per path
 * through the dereference loop before it, which otherwise exceeds its instruction budget (E2BIG).
 */
__attribute__((noinline)) int walk_ustack(struct ct_ustack_block *blk, __u64 ip, __u64 sp, __u64 fp, __u32 depth)
{
	__u64 pair[2];
	__u32 i, n = 1;

	if (!blk)
		return 0;
	if (depth > CT_MAX_USTACK)
		depth = CT_MAX_USTACK;
	blk->hdr.flags = 0;
	blk->hdr.pad = 0;
	blk->frames[0] = ip;
	if (depth > 1) {
		if (bpf_probe_read_user(&blk->frames[1], sizeof(__u64), (void *)sp) == 0)
			n = 2;
		else
			blk->hdr.flags |= CT_USTACK_FAULT;
	}
	for (i = 2; i < CT_MAX_USTACK && n == i; i++) {
		if (fp == 0)
			break;
		if (i >= depth) {
			blk->hdr.flags |= CT_USTACK_TRUNCATED;
			break;
		}
		if (bpf_probe_read_user(pair, sizeof(pair), (void *)fp) != 0) {
			blk->hdr.flags |= CT_USTACK_FAULT;
			break;
		}
		if (pair[1] == 0)
			break;
		blk->frames[i] = pair[1];
		n = i + 1;
		/* The chain must climb the stack: anything else is not a frame pointer (a frameless caller). */
		if (pair[0] <= fp)
			break;
		fp = pair[0];
	}
	blk->hdr.n = n;
	return n;
}

/* Builds a record in the per-CPU buffer the caller holds, then copies it into the ring. */
static __always_inline void emit(struct pt_regs *ctx, const struct ct_plan *plan, struct ct_scratch *sc, struct ct_counters *cnt,
				 __u32 id)
{
	struct deref_loop loop;
	struct ct_event *ev;
	__u8 *buf;
	__u32 off;

	buf = sc->buf;
	ev = (struct ct_event *)buf;
	fill_head(ev, ctx, id);

	off = sizeof(*ev);
	if (plan->stack_len) {
		__u32 n = plan->stack_len;

		if (n > CT_MAX_STACK)
			n = CT_MAX_STACK;
		barrier_var(n);
		n &= 2 * CT_MAX_STACK - 1;
		if (bpf_probe_read_user(buf + sizeof(*ev), n, (void *)ctx->rsp) == 0) {
			ev->stack_len = n;
			off += n;
		} else {
			ev->flags |= CT_EVF_STACK_FAULT;
		}
	}

	if (plan->n_derefs) {
		loop.sc = sc;
		loop.plan = plan;
		loop.off = off;
		/*
		 * n_derefs rounds, not CT_MAX_DEREFS with a callback that stops the loop: each round is an indirect call
		 * (a retpoline here), and the extra one cost ~20 ns per event (bench/rich.sh with kernel.bpf_stats_enabled).
		 */
		bpf_loop(plan->n_derefs, copy_deref, &loop, 0);
		off = loop.off;
	}

	/* Bounds the verifier can follow; at run time off is far below (see CT_SCRATCH_SIZE). */
	if (plan->ustack_depth && off <= CT_SCRATCH_SIZE - sizeof(struct ct_ustack_block)) {
		__u32 n = walk_ustack((struct ct_ustack_block *)(buf + off), ctx->rip, ctx->rsp, ctx->rbp, plan->ustack_depth);

		if (n > CT_MAX_USTACK)
			n = CT_MAX_USTACK;
		/* A no-op after the clamp (CT_MAX_USTACK is 2^7 - 1) that the verifier can follow where clang drops the clamp. */
		barrier_var(n);
		n &= 0x7f;
		ev->flags |= CT_EVF_USTACK;
		off += sizeof(struct ct_ustack_hdr) + 8 * n;
	}

	barrier_var(off);
	if (off > CT_SCRATCH_SIZE)
		return;
	if (bpf_ringbuf_output(&events, buf, off, BPF_RB_NO_WAKEUP) != 0)
		cnt->drops++;
}

/* The body both programs share; each attach mode needs its own program (see calltape_probe_multi). */
static __always_inline int handle(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 id = (__u32)cookie;
	__u32 zero = 0;
	struct ct_counters *cnt = bpf_map_lookup_elem(&counters, &id);
	struct ct_plan *plan;
	struct ct_event *ev;
	struct ct_scratch *sc;

	if (!cnt)
		return 0;
	cnt->hits++;

	/*
	 * Registers only (integer and pointer arguments): the record has a fixed size, so it is built in place in the
	 * ring. This skips the plan lookup, the scratch buffer and its copy: most of the cost above the uprobe itself.
	 */
	if (cookie & CT_COOKIE_REGS_ONLY) {
		ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
		if (!ev) {
			cnt->drops++;
			return 0;
		}
		fill_head(ev, ctx, id);
		bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
		return 0;
	}

	plan = bpf_map_lookup_elem(&plans, &id);
	sc = bpf_map_lookup_elem(&scratch, &zero);
	if (!plan || !sc)
		return 0;
	/*
	 * A uprobe program runs with migration disabled, but on a preemptible kernel (PREEMPT_RCU: rcu_read_lock does not
	 * disable preemption, kernel/trace/bpf_trace.c) it can be preempted, and another task's hit on this CPU would then
	 * build its record in the same per-CPU buffer. The one that finds it taken drops its event, counted, rather than
	 * let either record mix the other's bytes.
	 */
	if (__sync_lock_test_and_set(&sc->busy, 1)) {
		cnt->drops++;
		return 0;
	}
	emit(ctx, plan, sc, cnt, id);
	/* Only this CPU ever takes this buffer: a plain store releases it (clang-14 has no BPF store-release). */
	*(volatile __u32 *)&sc->busy = 0;
	return 0;
}

/* Attached through perf events (bpf_program__attach_uprobe_opts): one perf event and link per probe. */
SEC("uprobe")
int calltape_probe(struct pt_regs *ctx)
{
	return handle(ctx);
}

/*
 * Attached through one uprobe_multi link per binary (BPF_LINK_CREATE). The recorder loads it with expected attach
 * type BPF_TRACE_UPROBE_MULTI (48), which the kernel requires for that link and which makes perf-event attach
 * fail with EINVAL (measured on 6.18), hence a second program. Its section stays "uprobe" because libbpf 1.1.2
 * does not know "uprobe.multi" (shared/notes/FACTS.md).
 */
SEC("uprobe")
int calltape_probe_multi(struct pt_regs *ctx)
{
	return handle(ctx);
}
