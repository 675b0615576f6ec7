/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the reload's builder thread (reload_build.h has the contract).
 *
 * Why a thread and not the control loop: a reload of a large route table
 * spent hundreds of ms to seconds in one loop iteration (80,000 routes:
 * 0.7 s to load and compare, 0.6 s to build the FIB after the duplicate
 * search was made linear, 2.1 s before), and while the loop stood still
 * CARP adverts were late (a backup took over) and pfsync stalled.  Why a
 * plain thread and not an lcore: the build waits on nothing and polls
 * nothing; on a machine with CPUs EAL does not use it runs there
 * (rte_ctrl_thread_create), else it shares the main lcore's CPU with the
 * control loop, which then runs at the scheduler's pace rather than not
 * at all.
 *
 * One job at a time: a second start is -EBUSY, which the command turns
 * into 8003 at once.  The end is an atomic flag the control loop reads
 * once per iteration; the control core then joins the thread (it has
 * returned, so the join does not wait) and finishes the job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/app/reload_build.h"
#include "proto/proto.h"

PROTO_NAME_FN(reload_job_name, unsigned int, RELOAD_JOB_LIST, RELOAD_JOB_MAX);
PROTO_NAME_FN(reload_stage_name, unsigned int, RELOAD_STAGE_LIST, RELOAD_STAGE_MAX);

uint64_t
reload_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void *
reload_thread(void *arg)
{
	struct reload_job *job = arg;

	job->run(job);
	atomic_store_explicit(&job->done, true, memory_order_release);
	return NULL;
}

int
reload_builder_start(struct reload_builder *b, struct reload_job *job)
{
	int rc;

	if (b->job != NULL)
		return -EBUSY;
	atomic_store_explicit(&job->done, false, memory_order_relaxed);
	job->run = b->run;
	b->job = job;
	b->started_us = reload_mono_us();
	rc = b->spawn != NULL ? b->spawn(&job->tid, "dpf-reload", NULL, reload_thread, job) :
	     pthread_create(&job->tid, NULL, reload_thread, job);
	if (rc != 0) {
		b->job = NULL;
		return rc > 0 ? -rc : rc;
	}
	return 0;
}

bool
reload_builder_busy(const struct reload_builder *b)
{
	return b->job != NULL;
}

struct reload_job *
reload_builder_collect(struct reload_builder *b)
{
	struct reload_job *job = b->job;

	if (job == NULL || !atomic_load_explicit(&job->done, memory_order_acquire))
		return NULL;
	pthread_join(job->tid, NULL);
	b->job = NULL;
	return job;
}

struct reload_job *
reload_builder_wait(struct reload_builder *b)
{
	struct reload_job *job = b->job;

	if (job == NULL)
		return NULL;
	pthread_join(job->tid, NULL);
	b->job = NULL;
	return job;
}

/* --- the work (builder thread) --- */

static void
job_fail(struct reload_job *job, enum reload_stage stage)
{
	job->stage = stage;
}

void
reload_job_run(struct reload_job *job)
{
	const struct dpf_plan *p;
	uint64_t t0 = reload_mono_us(), t1;
	struct cfg_error e;

	job->stage = RELOAD_STAGE_OK;
	if (!job->build_only) {
		memset(&job->objs, 0, sizeof(job->objs));
		if (job->kind == RELOAD_JOB_CHECK || job->kind == RELOAD_JOB_APPLY) {
			memset(&e, 0, sizeof(e));
			if (plan_load(job->path, job->opts, &job->cand, &e) != 0) {
				cfg_error_format(&e, job->path != NULL ? job->path :
						 "(embedded default)", job->err, sizeof(job->err));
				job->cand = NULL;
				job_fail(job, RELOAD_STAGE_LOAD);
				goto out;
			}
		}
		p = job->cand != NULL ? job->cand : job->target;
		if (plan_diff(job->live, p, job->states_boot, &job->diff) != 0) {
			/* An undo builds everything again instead; a new file is refused. */
			if (job->cand != NULL) {
				snprintf(job->err, sizeof(job->err),
					 "out of memory comparing the configurations");
				job_fail(job, RELOAD_STAGE_DIFF);
				goto out;
			}
			memset(&job->diff, 0, sizeof(job->diff));
			job->diff.routes = true;
		}
		/* An undo returns to a plan that ran: nothing in it needs a restart. */
		if (job->diff.refused && job->cand != NULL) {
			job_fail(job, RELOAD_STAGE_REFUSED);
			goto out;
		}
	}
	t1 = reload_mono_us();
	job->check_us = job->build_only ? job->check_us : t1 - t0;
	if (job->kind == RELOAD_JOB_CHECK)
		goto out;
	p = job->cand != NULL ? job->cand : job->target;
	if (plan_build_objs(p, job->dp, job->socket, job->diff.routes, &job->objs, job->err,
			    sizeof(job->err)) != 0)
		job_fail(job, RELOAD_STAGE_BUILD);
	job->build_us = reload_mono_us() - t1;
out:
	return;
}

void
reload_job_free(struct reload_job *job)
{
	if (job == NULL)
		return;
	plan_objs_free(&job->objs);
	if (job->cand != NULL)
		plan_free(job->cand);
	free(job->path);
	free(job);
}

/* --- freeing old FIBs off the control core --- */

static atomic_uint frees_running;
static reload_spawn_fn free_spawn;

struct free_req {
	void *obj;
	void (*fn)(void *obj);
};

static void *
free_thread(void *arg)
{
	struct free_req *q = arg;

	q->fn(q->obj);
	free(q);
	atomic_fetch_sub_explicit(&frees_running, 1, memory_order_release);
	return NULL;
}

void
reload_free_spawn(reload_spawn_fn spawn)
{
	free_spawn = spawn;
}

void
reload_free_offload(void *obj, void (*fn)(void *obj))
{
	struct free_req *q = malloc(sizeof(*q));
	pthread_t tid;
	int rc;

	if (q == NULL) {
		fn(obj);
		return;
	}
	q->obj = obj;
	q->fn = fn;
	atomic_fetch_add_explicit(&frees_running, 1, memory_order_relaxed);
	rc = free_spawn != NULL ? free_spawn(&tid, "dpf-free", NULL, free_thread, q) :
	     pthread_create(&tid, NULL, free_thread, q);
	if (rc != 0) {
		atomic_fetch_sub_explicit(&frees_running, 1, memory_order_relaxed);
		free(q);
		fn(obj);
		return;
	}
	pthread_detach(tid);
}

void
reload_free_wait(void)
{
	while (atomic_load_explicit(&frees_running, memory_order_acquire) != 0)
		usleep(1000);
}
