/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The reload's builder thread (reload_build.c): what a `configure` does
 * that takes time and may fail (load, compile, compare, build the FIB and
 * the ruleset's classifier) runs on a thread of its own, not on the
 * control core, whose loop keeps sending CARP adverts, running pfsync and
 * serving other clients meanwhile.  The control core starts a job, polls
 * for its end once per loop, and finishes it itself (reload.c: bind the
 * gateways, swap the pointers, keep the history, reply).
 *
 * Contract (what each side may touch while a job runs):
 *  - The builder thread reads only the job's inputs, which the control core
 *    sets before the start and does not change until the end, and what they
 *    point to: the live plan and an undo's target plan, which are immutable
 *    [I] once compiled and stay alive because only a finished job changes
 *    the plan history, and one job runs at a time; the EAL options
 *    (reload_source(), fixed at start); dp's [I] fields (n_workers).
 *  - It writes only the job's outputs and creates objects nobody else
 *    sees until the control core publishes them (an rte_fib/rte_fib6 and an
 *    rte_acl context with names of their own, rte_malloc memory).  It
 *    never touches the neighbour table, the reclaim queue, the published
 *    pointers, the ctl server, CARP, pfsync or the app.
 *  - The control core reads the outputs only after reload_job_done() said
 *    true (an acquire load pairs with the thread's release store); it then
 *    owns everything the job holds.
 *  - While a job runs, every other change of the configuration is refused
 *    at once (8003 "a configuration is being built"): configure, undo,
 *    confirm, runtime table changes; the rollback timer waits.
 */
#ifndef DPF_CONTROL_APP_RELOAD_BUILD_H
#define DPF_CONTROL_APP_RELOAD_BUILD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "control/config/config.h"
#include "control/plan/plan.h"
#include "control/plan/plan_diff.h"

#define RELOAD_JOB_LIST(_)                                              \
	_(CHECK, "check")	/* load and compare: configure check */     \
	_(APPLY, "apply")	/* load, compare, build: configure [FILE] */ \
	_(UNDO, "undo")		/* compare, build the previous: undo */     \
	_(ROLLBACK, "rollback")	/* the same, from the timer */

enum reload_job_kind {
#define RELOAD_JOB_ENUM(sym, str) RELOAD_JOB_##sym,
	RELOAD_JOB_LIST(RELOAD_JOB_ENUM)
#undef RELOAD_JOB_ENUM
	RELOAD_JOB_MAX
};

const char *reload_job_name(unsigned int kind);
const char *reload_stage_name(unsigned int stage);

/* Where a job stopped; OK: ready to be finished (published, for a build). */
#define RELOAD_STAGE_LIST(_)                                            \
	_(OK, "ok")                                                     \
	_(LOAD, "load")		/* the file does not load or compile */     \
	_(DIFF, "diff")		/* out of memory comparing */               \
	_(REFUSED, "refused")	/* a difference needs a restart */          \
	_(BUILD, "build")	/* the FIB or the ruleset could not be built */

enum reload_stage {
#define RELOAD_STAGE_ENUM(sym, str) RELOAD_STAGE_##sym,
	RELOAD_STAGE_LIST(RELOAD_STAGE_ENUM)
#undef RELOAD_STAGE_ENUM
	RELOAD_STAGE_MAX
};

struct reload_job {
	/* In [C before the start, then I]: */
	enum reload_job_kind kind;
	char *path;			/* CHECK, APPLY: the file (owned); NULL: embedded */
	const struct plan_opts *opts;
	const struct dpf_plan *live;	/* the running plan */
	const struct dpf_plan *target;	/* UNDO, ROLLBACK: the previous plan */
	uint32_t states_boot;		/* limits.states dpf started with */
	const struct dp_main *dp;	/* [I] fields only */
	int socket;			/* NUMA socket of the objects */
	bool build_only;		/* a retry: cand and diff are kept, build again */
	/* Out [builder until done, then C]: */
	struct dpf_plan *cand;		/* CHECK, APPLY: the loaded plan (owned) */
	struct plan_diff diff;
	struct plan_objs objs;		/* built, gateways not bound */
	enum reload_stage stage;
	char err[CFG_ERR_MAX + 512];
	uint64_t check_us, build_us;	/* load+compile+compare, objects built */
	/* The thread: */
	void (*run)(struct reload_job *job);	/* the builder's run */
	pthread_t tid;
	atomic_bool done;
};

/*
 * How a thread is started: rte_ctrl_thread_create() in dpf (the thread
 * runs on the CPUs EAL leaves to control threads, else the main lcore's),
 * NULL for pthread_create() (unit tests, without EAL).
 */
typedef int (*reload_spawn_fn)(pthread_t *tid, const char *name, const pthread_attr_t *attr,
			       void *(*fn)(void *), void *arg);

/*
 * A slot for one job at a time.  reload_builder_start(): -EBUSY when a job
 * runs (nothing changes), else the job's thread is started (0) or could not
 * be (-errno).  run(job) is what the thread does (reload_job_run in dpf).
 */
struct reload_builder {
	struct reload_job *job;		/* running or done, not yet collected; NULL: idle */
	reload_spawn_fn spawn;
	void (*run)(struct reload_job *job);
	uint64_t started_us;		/* CLOCK_MONOTONIC of the start */
};

int reload_builder_start(struct reload_builder *b, struct reload_job *job);
bool reload_builder_busy(const struct reload_builder *b);
/*
 * The job, once its thread has ended (joined; the slot is free again), or
 * NULL while it runs or when none does.  The caller owns the job then.
 */
struct reload_job *reload_builder_collect(struct reload_builder *b);
/* Waits for the running job (at exit) and returns it as collect does. */
struct reload_job *reload_builder_wait(struct reload_builder *b);

/* The builder's work for a dpf job (load, diff, build; see the kinds). */
void reload_job_run(struct reload_job *job);
/* Frees what the job still holds (cand, objects, path) and the job. */
void reload_job_free(struct reload_job *job);

uint64_t reload_mono_us(void);

/*
 * dp->free_offload: free_fn(obj) on a thread of its own (started with
 * spawn, as the builder's), so that freeing an old FIB (100-200 ms at
 * 80,000 routes) does not stop the control loop; inline when no thread
 * can be started.  The objects are unpublished and past their grace
 * period: nobody else holds them.  reload_free_wait() waits for those
 * under way (at exit, before EAL goes).
 */
void reload_free_spawn(reload_spawn_fn spawn);
void reload_free_offload(void *obj, void (*free_fn)(void *obj));
void reload_free_wait(void);

#endif /* DPF_CONTROL_APP_RELOAD_BUILD_H */
