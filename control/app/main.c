/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: dpf, the appliance process.
 *
 *   dpf [-c FILE] [-n] [-- EAL-ARGS...]
 *
 * Loads the JSON config (or the embedded default) and compiles it into a
 * plan (control/plan: every check bring-up would make; `-n` stops there
 * and prints it), initialises EAL from dataplane.eal with the command line
 * after "--" overriding it, sets up the dataplane from the plan, and runs
 * the control core's loop on the main lcore: the control sockets, the
 * punt and RX work of control/local/local.c, link state, and deferred
 * frees.  SIGINT and SIGTERM stop it cleanly, at any time from its first
 * instruction; SIGHUP reopens the pflog file and never kills it.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "control/app/app.h"
#include "control/app/reload.h"
#include "control/config/config.h"
#include "control/ctl/ctl.h"
#include "control/plan/plan.h"
#include "control/local/local.h"
#include "control/log/dlog.h"
#include "dataplane/dp.h"

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/*
 * The handlers go in before anything else runs: the default action of
 * SIGHUP and SIGTERM is to kill, and bring-up (EAL, pools, ports) takes
 * most of a second, so a log rotation's SIGHUP at start killed dpf.  A
 * SIGTERM or SIGINT before the loop stops it as soon as the loop starts.
 * SA_RESTART: EAL's and the config's reads must not see EINTR.
 *
 * They go in from the executable's .preinit_array (signals_preinit()),
 * not from main(): the dynamic loader runs preinit functions after it has
 * relocated everything and before any shared library's constructor
 * (System V gABI, "Initialization and Termination Functions"), and DPDK's
 * libraries run about a hundred constructors (drivers, log types,
 * telemetry) that took dpf -V's first ~8 ms, during which a SIGHUP killed
 * it.  Only the loader's own mapping is left unprotected; a parent that
 * cares can start dpf with the signals blocked: they are unblocked here,
 * after the handlers are in, so one pending since exec is handled, not
 * lost (a blocked mask is inherited across exec, and would also be by
 * every EAL thread).  No thread exists yet, so every thread EAL makes
 * later inherits the unblocked mask; the handlers only set flags, so
 * which thread takes a signal does not matter.
 */
static void
signals_init(void)
{
	struct sigaction stop = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	struct sigaction hup = { .sa_handler = app_on_hup, .sa_flags = SA_RESTART };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigset_t set;

	sigemptyset(&stop.sa_mask);
	sigemptyset(&hup.sa_mask);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGHUP, &hup, NULL);
	sigaction(SIGPIPE, &ign, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void
signals_preinit(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	(void)envp;
	signals_init();
}

__attribute__((section(".preinit_array"), used))
static void (*const dpf_preinit)(int, char **, char **) = signals_preinit;

static void
usage(FILE *f)
{
	fprintf(f, "usage: dpf [-c FILE] [-n] [-- EAL-ARGS...]\n"
		   "  -c FILE  configuration (default: the embedded demo configuration)\n"
		   "  -n       check the configuration, print it normalized, exit\n"
		   "  -V       print the version\n"
		   "EAL arguments after -- override dataplane.eal.\n");
}

/* argv for rte_eal_init: config values unless the command line has the option. */
struct eal_argv {
	int argc;
	char *argv[256];		/* rte_eal_init() permutes and overwrites it */
	char *own[256];			/* the same strings, to free */
};

static void
eal_push(struct eal_argv *a, const char *s)
{
	if (a->argc < (int)RTE_DIM(a->argv) - 1) {
		a->own[a->argc] = strdup(s);
		a->argv[a->argc] = a->own[a->argc];
		a->argc++;
	}
}

/* After rte_eal_cleanup() (or a failed init): EAL no longer reads them. */
static void
eal_argv_free(struct eal_argv *a)
{
	int i;

	for (i = 0; i < a->argc; i++)
		free(a->own[i]);
	a->argc = 0;
}

static bool
has_opt(int argc, char **argv, const char *const *names)
{
	int i, j;

	for (i = 0; i < argc; i++)
		for (j = 0; names[j] != NULL; j++)
			if (strncmp(argv[i], names[j], strlen(names[j])) == 0)
				return true;
	return false;
}

/*
 * af_packet opens one socket per queue pair and fans traffic out to all of
 * them, so it must have exactly the pairs dp_init() polls: workers + 1, or
 * one on a sync port of its own (plan_port_queues()).  Adds qpairs= if
 * absent.
 */
static void
eal_push_vdev(struct eal_argv *a, const char *arg, const struct dpf_config *cfg)
{
	unsigned int nq = cfg->dataplane.workers + 1, i;
	const char *name = strncmp(arg, "--vdev=", 7) == 0 ? arg + 7 : arg;
	size_t len = strcspn(name, ",");
	char buf[512];

	/* The port this vdev is: a sync port of its own has one queue pair. */
	for (i = 0; i < cfg->dataplane.n_ports; i++)
		if (strlen(cfg->dataplane.ports[i].device) == len &&
		    strncmp(cfg->dataplane.ports[i].device, name, len) == 0)
			nq = plan_port_queues(cfg, i);

	if (strstr(arg, "net_af_packet") != NULL && strstr(arg, "qpairs=") == NULL) {
		snprintf(buf, sizeof(buf), "%s,qpairs=%u", arg, nq);
		eal_push(a, buf);
		return;
	}
	eal_push(a, arg);
}

static void
eal_build(struct eal_argv *a, const struct dpf_config *cfg, int xargc, char **xargv)
{
	static const char *const lc[] = { "-l", "--lcores", "-c", NULL };
	static const char *const fp[] = { "--file-prefix", NULL };
	static const char *const mem[] = { "-m", "--socket-mem", NULL };
	static const char *const nh[] = { "--no-huge", NULL };
	static const char *const im[] = { "--in-memory", NULL };
	const struct cfg_eal *e = &cfg->dataplane.eal;
	unsigned int i;
	char buf[64];

	eal_push(a, "dpf");
	if (!has_opt(xargc, xargv, lc)) {
		/* "0-2" is a CPU list (-l); "0@0,1@1,2@1" maps lcores to CPUs (--lcores),
		 * which lets several workers share the cores of a small machine. */
		eal_push(a, strpbrk(e->lcores, "@()") != NULL ? "--lcores" : "-l");
		eal_push(a, e->lcores);
	}
	if (e->file_prefix != NULL && !has_opt(xargc, xargv, fp)) {
		eal_push(a, "--file-prefix");
		eal_push(a, e->file_prefix);
	}
	if (e->memory_mb != 0 && !has_opt(xargc, xargv, mem)) {
		snprintf(buf, sizeof(buf), "%u", e->memory_mb);
		eal_push(a, "-m");
		eal_push(a, buf);
	}
	if (e->no_huge && !has_opt(xargc, xargv, nh))
		eal_push(a, "--no-huge");
	/* --no-huge implies legacy memory, which EAL refuses with --in-memory;
	 * what in_memory means there (no shared files) is --no-shconf. */
	if (e->in_memory && !has_opt(xargc, xargv, im))
		eal_push(a, e->no_huge || has_opt(xargc, xargv, nh) ? "--no-shconf" : "--in-memory");
	for (i = 0; i < e->n_args; i++)
		eal_push_vdev(a, e->args[i], cfg);
	for (i = 0; i < (unsigned int)xargc; i++)
		eal_push_vdev(a, xargv[i], cfg);
	a->argv[a->argc] = NULL;
}

/* Loads and compiles the config; on error prints it as FILE:LINE:COLUMN: PATH: MESSAGE. */
static int
load_plan(const char *path, const struct plan_opts *opts, struct dpf_plan **plan)
{
	struct cfg_error err;
	char msg[CFG_ERR_MAX + 256];

	memset(&err, 0, sizeof(err));
	if (plan_load(path, opts, plan, &err) != 0) {
		cfg_error_format(&err, path != NULL ? path : "(embedded default)", msg,
				 sizeof(msg));
		dlog_text(DLOG_ERR, "%s", msg);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct dpf_plan *plan = NULL;
	struct plan_opts popts;
	const char *path = NULL;
	struct eal_argv ea = { 0 };
	bool check = false;
	int opt, xargc = 0, rc;
	char **xargv = NULL;

	/* Signals are handled already: signals_preinit(). */
	/* Our options stop at "--"; what follows goes to EAL. */
	for (opt = 1; opt < argc; opt++) {
		if (strcmp(argv[opt], "--") == 0) {
			xargc = argc - opt - 1;
			xargv = argv + opt + 1;
			argc = opt;
			break;
		}
	}
	while ((opt = getopt(argc, argv, "c:nhV")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'V':
			printf("dpf %s\n", DPF_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* -n and start-up compile the same plan: they refuse the same configs. */
	popts = (struct plan_opts){ .eal_argc = xargc, .eal_argv = xargv };
	if (load_plan(path, &popts, &plan) != 0)
		return 1;
	if (check) {
		plan_print(stdout, plan);
		plan_free(plan);
		return 0;
	}

	{
		char err[768];

		if (app_port_locks(plan, err, sizeof(err)) != 0) {
			dlog_text(DLOG_ERR, "%s", err);
			plan_free(plan);
			return 1;
		}
	}
	eal_build(&ea, plan->cfg, xargc, xargv);
	rc = app_eal_init(ea.argc, ea.argv);
	if (rc < 0) {
		eal_argv_free(&ea);
		plan_free(plan);
		return 1;
	}
	reload_source(path, &popts);	/* what `dpfctl configure` reloads */
	rc = app_run(plan, &stop_requested);
	plan_free(plan);
	rte_eal_cleanup();
	eal_argv_free(&ea);
	return rc == 0 ? 0 : 1;
}
