/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The running appliance: what the control core holds while dpf runs.
 *
 * Ownership: [C] the control core only.
 */
#ifndef DPF_CONTROL_APP_H
#define DPF_CONTROL_APP_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "control/config.h"
#include "control/ctl.h"
#include "control/local.h"
#include "control/pflog_writer.h"
#include "dataplane/dp.h"

#define APP_VERSION "0.1.0"

struct carp;

struct app {
	const struct dpf_config *cfg;
	struct dp_main *dp;
	struct local local;
	struct carp *carp;		/* control/carp.h */
	struct ctl_server *ctl;
	struct ctl_server *ctl_ro;
	time_t started;
	uint32_t host_id;
	unsigned int unresolved_routes;
	uint64_t loops;
	struct pflog_writer *pflog;	/* logging.pflog; NULL when off */
};

/* The configuration dpf runs when started without -c (docs/config.md). */
extern const char app_default_config[];

/* Sets up and runs the appliance until *stop becomes non-zero. */
int app_run(const struct dpf_config *cfg, volatile sig_atomic_t *stop);

/* Registers the dataplane's dpfctl commands (show info, interfaces, ...). */
int app_cmds_register(struct app *app, struct ctl_server *srv);

#endif /* DPF_CONTROL_APP_H */
