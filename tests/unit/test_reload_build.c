/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the reload's builder slot (control/app/reload_build.c),
 * with plain pthreads (no EAL): one job at a time, a second start while one
 * runs is -EBUSY and changes nothing, the job is collected only once its
 * thread has ended, and the slot is free again after.
 */
#include <errno.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/app/reload_build.h"

static sem_t go;
static int ran;

/* Waits until the test lets it end. */
static void
slow_run(struct reload_job *job)
{
	sem_wait(&go);
	job->stage = RELOAD_STAGE_OK;
	ran++;
}

static void
test_one_at_a_time(void **state)
{
	struct reload_builder b = { .run = slow_run };
	struct reload_job *a = calloc(1, sizeof(*a)), *c = calloc(1, sizeof(*c)), *got = NULL;

	(void)state;
	assert_int_equal(sem_init(&go, 0, 0), 0);
	assert_non_null(a);
	assert_non_null(c);
	assert_false(reload_builder_busy(&b));
	assert_null(reload_builder_collect(&b));
	assert_int_equal(reload_builder_start(&b, a), 0);
	assert_true(reload_builder_busy(&b));
	/* A second job while the first is built: refused at once, the first stays. */
	assert_int_equal(reload_builder_start(&b, c), -EBUSY);
	assert_ptr_equal(b.job, a);
	assert_null(reload_builder_collect(&b));	/* still running */
	sem_post(&go);
	for (int i = 0; i < 5000 && got == NULL; i++) {
		got = reload_builder_collect(&b);
		if (got == NULL)
			usleep(1000);
	}
	assert_ptr_equal(got, a);
	assert_int_equal(ran, 1);
	assert_false(reload_builder_busy(&b));
	/* Free again: the next one starts, and wait() collects it at exit. */
	assert_int_equal(reload_builder_start(&b, c), 0);
	sem_post(&go);
	assert_ptr_equal(reload_builder_wait(&b), c);
	assert_int_equal(ran, 2);
	assert_null(reload_builder_wait(&b));
	free(a);
	free(c);
	sem_destroy(&go);
}

static void
frees(void *obj)
{
	__atomic_fetch_add((int *)obj, 1, __ATOMIC_RELEASE);
}

/* Offloaded frees run (on their own threads), and wait() waits for them. */
static void
test_free_offload(void **state)
{
	int n = 0;

	(void)state;
	for (int i = 0; i < 8; i++)
		reload_free_offload(&n, frees);
	reload_free_wait();
	assert_int_equal(__atomic_load_n(&n, __ATOMIC_ACQUIRE), 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_at_a_time),
		cmocka_unit_test(test_free_offload),
	};

	return cmocka_run_group_tests_name("reload_build", tests, NULL, NULL);
}
