/* SPDX-License-Identifier: MIT */
/*
 * calltape.h — the one definition of what crosses the BPF ring buffer and the plan map.
 *
 * Mirrored in C# by src/Recorder/Bpf/EventLayout.cs; tests/Unit/LayoutMirrorTests.cs compiles this header
 * and checks every size and offset against the mirror. Change both together and bump docs/FORMAT.md when the
 * on-disk encoding changes.
 */
#ifndef CALLTAPE_H
#define CALLTAPE_H

#ifndef __KERNEL__
#include <linux/types.h>
#endif

/* Registers captured on every hit, in this order (names as in the uapi x86-64 struct pt_regs). */
enum ct_reg {
	CT_REG_RAX = 0,
	CT_REG_RBX,
	CT_REG_RCX,
	CT_REG_RDX,
	CT_REG_RSI,
	CT_REG_RDI,
	CT_REG_R8,
	CT_REG_R9,
	CT_REG_R10,
	CT_REG_R11,
	CT_REG_R12,
	CT_REG_R13,
	CT_REG_R14,
	CT_REG_R15,
	CT_REG_RBP,
	CT_REG_RSP,
	CT_REG_RIP,
	CT_NREGS
};

#define CT_MAX_PROBES 4096
#define CT_MAX_DEREFS 8
#define CT_MAX_STACK 256	/* bytes of stack window above SP */
#define CT_MAX_DEREF_LEN 1024	/* bytes copied per dereference */
#define CT_MAX_USTACK 127	/* frames of user stack (--stack-depth); fits ct_plan.ustack_depth */
#define CT_SCRATCH_SIZE 16384	/* a power of two >= sizeof(struct ct_event) + CT_MAX_STACK
			   + CT_MAX_DEREFS * (8 + CT_MAX_DEREF_LEN) + sizeof(struct ct_ustack_hdr) + 8 * CT_MAX_USTACK */

/*
 * The attach cookie: the probe id in the low 32 bits, and this flag when the plan has neither a stack window nor
 * dereferences, so the program can build the record in place without looking the plan up.
 */
#define CT_COOKIE_REGS_ONLY (1ULL << 32)

/* Where a dereference takes its pointer and its length from. */
enum ct_src_kind {
	CT_SRC_NONE = 0,	/* length: use max_len as a constant */
	CT_SRC_REG = 1,		/* index is an enum ct_reg */
	CT_SRC_STACK = 2,	/* index is a byte offset from SP at the probe point, 8-aligned */
	CT_SRC_DEREF = 3,	/* index is a byte offset into the bytes of an earlier dereference of the same record; pad is
				 * that dereference's position: 8 bytes read there (pointers chained to a depth: *T -> T.name) */
};

struct ct_src {
	__u8 kind;	/* enum ct_src_kind */
	__u8 pad;	/* CT_SRC_DEREF: the earlier dereference's index, else 0 */
	__u16 index;
};

#define CT_DEREF_CSTR 1	/* a NUL-terminated string: read with bpf_probe_read_user_str, len is ignored */
/*
 * Read only when the pointer is outside the traced binary's image (ct_plan.image_lo/hi, moved by the load bias): a Go
 * itab the compiler built lies in the binary and is named offline from the file; one the runtime built (a type
 * assertion to an interface) is on the heap, and only its type word, read here, can name the dynamic type. Skipped,
 * the dereference is recorded with len 0, err 0 and want 0.
 */
#define CT_DEREF_OUTSIDE_IMAGE 2
/*
 * Bits 8-15 of flags: the length source counts elements of this many bytes (a Go slice's len), so the bytes wanted
 * are len * scale; 0 means 1.
 */
#define CT_DEREF_SCALE_SHIFT 8

struct ct_deref {
	struct ct_src ptr;
	struct ct_src len;	/* a runtime length (Go string len); clamped to max_len */
	__u16 max_len;		/* <= CT_MAX_DEREF_LEN */
	__u16 flags;		/* CT_DEREF_* */
	__s32 offset;		/* added to the pointer before reading (a field of a struct, g.goid) */
};

/* The capture plan of one probe, keyed by the attach cookie (the probe id). */
struct ct_plan {
	__u16 stack_len;	/* bytes of stack window to copy from SP, <= CT_MAX_STACK */
	__u8 n_derefs;		/* <= CT_MAX_DEREFS */
	__u8 ustack_depth;	/* frames of user stack to walk, <= CT_MAX_USTACK; 0: none (was pad) */
	__u32 pad2;
	struct ct_deref derefs[CT_MAX_DEREFS];
	/*
	 * For CT_DEREF_OUTSIDE_IMAGE: the probed instruction's link-time address and the link-time bounds of the binary's
	 * loaded segments. At a hit, RIP - link_ip is the load bias (0 unless the binary is position-independent).
	 */
	__u64 link_ip;
	__u64 image_lo;
	__u64 image_hi;
};

/* Per-probe, per-CPU counters (a BPF_MAP_TYPE_PERCPU_ARRAY value). */
struct ct_counters {
	__u64 hits;
	__u64 drops;	/* the ring buffer was full, or a preempted hit held the per-CPU record buffer: the event is lost but counted */
};

/*
 * One ring-buffer record. The fixed part is followed by stack_len bytes of stack window, then n_derefs
 * dereference blocks, each a struct ct_deref_hdr and then hdr.len bytes, and last, when flags has CT_EVF_USTACK,
 * the user stack: a struct ct_ustack_hdr and then hdr.n return addresses (__u64 each).
 */
struct ct_event {
	__u64 ktime_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cookie;		/* the probe id */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 cpu;
	__u16 stack_len;
	__u8 n_derefs;
	__u8 flags;		/* CT_EVF_* */
	__u64 regs[CT_NREGS];
};

#define CT_EVF_STACK_FAULT 1	/* the stack window could not be read */
#define CT_EVF_USTACK 2		/* a user stack block trails the record */

/*
 * The user stack, walked by frame pointers from the probe point, which is a function's entry or a RET: frame 0 is
 * the probed IP, frame 1 the return address at [SP] (the callee has not pushed RBP yet, so RBP is still the
 * caller's frame), then [RBP+8] up the RBP chain (x86-64 psABI frame layout: saved RBP at [RBP], return address
 * above it).
 */
struct ct_ustack_hdr {
	__u16 n;	/* frames that follow */
	__u16 flags;	/* CT_USTACK_* */
	__u32 pad;
};

#define CT_USTACK_TRUNCATED 1	/* the walk stopped at ustack_depth with frames left */
#define CT_USTACK_FAULT 2	/* a frame pointer pointed at unreadable memory: frames beyond it are unknown */

struct ct_deref_hdr {
	__u16 len;	/* bytes that follow */
	__s16 err;	/* 0, or the negative errno of bpf_probe_read_user */
	__u32 want;	/* the length the program had (before the max_len cap) */
};

#endif /* CALLTAPE_H */
