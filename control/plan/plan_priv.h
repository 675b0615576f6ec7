/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Internals of the plan shared by plan.c and plan_eal.c; unit tests may
 * use them.
 */
#ifndef DPF_CONTROL_PLAN_PRIV_H
#define DPF_CONTROL_PLAN_PRIV_H

#include <stdbool.h>

#include "control/config/config.h"

/*
 * The lcore list (or with *mask, core mask) of EAL arguments argv, NULL
 * when they have no -l, --lcores or -c.
 */
void plan_eal_lcores(int argc, char *const *argv, const char **list, bool *mask);

/*
 * The --vdev argument creating vdev name ("net_null0,size=64"), looked
 * for on the command line (argv) first, then in the config's EAL
 * arguments; NULL when none does.
 */
const char *plan_eal_vdev(const struct cfg_eal *eal, int argc, char *const *argv,
			  const char *name);

#endif /* DPF_CONTROL_PLAN_PRIV_H */
