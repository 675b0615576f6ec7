/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpfctl commands of the packet filter (show states, show rules, state
 * kill) and the filter's part of `show info`.  [C] control core only.
 */
#ifndef DPF_CONTROL_FILTER_CMDS_H
#define DPF_CONTROL_FILTER_CMDS_H

#include <jansson.h>

#include "control/ctl/ctl.h"
#include "dataplane/dp_stats.h"

struct app;

/* Registers the commands on srv (both sockets); the first call sets up app->filter. */
int filter_cmds_register(struct app *app, struct ctl_server *srv);
/*
 * Every control loop: completions of the workers' requests (answers the
 * kills they finish, or those overdue) and the state events.  Bounded,
 * never waits.  Returns the work done.
 */
unsigned int filter_cmds_poll(struct app *app);
/*
 * Parses a `state kill` selector (argv after "kill") into sel; NULL, or a
 * static message saying what is wrong (an unknown or repeated key, a bad value).
 */
struct dp_state_sel;
const char *filter_sel_parse(int argc, char **argv, struct dp_state_sel *sel);
/* At exit, after the workers stopped: answers what is under way, frees app->filter. */
void filter_cmds_fini(struct app *app);

/*
 * `show info` lines as pfctl -s info prints them: a section title over the
 * Total and Rate columns, a counter, a counter with its rate over secs.
 */
void info_head(struct ctl_out *out, const char *title);
void info_count(struct ctl_out *out, const char *name, uint64_t n);
void info_rate(struct ctl_out *out, const char *name, uint64_t n, double secs);
/* `show info`: the "State Table" section (pfctl -s info), rates over secs. */
void filter_info_text(struct ctl_out *out, const struct app *app, const struct dp_stats *s,
		      double secs);
/* `show info -v`: "Limit Counters". */
/* Fragment reassembly counters (dataplane/frag.c), text and JSON. */
void filter_info_frag_text(struct ctl_out *out, const struct dp_stats *s, double secs);
json_t *filter_info_frag_json(const struct dp_stats *s);
void filter_info_limits_text(struct ctl_out *out, const struct dp_stats *s, double secs);
json_t *filter_info_json(const struct app *app, const struct dp_stats *s);

#endif /* DPF_CONTROL_FILTER_CMDS_H */
