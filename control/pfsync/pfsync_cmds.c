/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: `dpfctl show pfsync`: the sync interface and peer, the settings, the
 * bulk update (state, last result and duration, demotion held), what is
 * queued per kind, packets and records each way, OpenBSD's pfsyncstats by
 * their names (`netstat -s -p pfsync` prints the same counters) and dpf's
 * own counters beside them.
 */
#include <inttypes.h>
#include <stdio.h>

#include "control/ctl/ctl.h"
#include "control/pfsync/pfsync_priv.h"
#include "dataplane/dp.h"

static int
bulk_demotion(const struct pfsync *ps)
{
	return (ps->breq.demoted ? PFSYNC_BULK_DEMOTE : 0) +
	       (ps->breq.link_demoted ? PFSYNC_BULK_LINK_DEMOTE : 0);
}

static uint64_t
bulk_ms(const struct pfsync *ps)
{
	return ps->breq.ended > ps->breq.started ? (ps->breq.ended - ps->breq.started) / 1000 : 0;
}

/* p50 / p99 / max and the sample count of a latency histogram (us). */
static json_t *
hist_json(const struct pfsync_hist *h)
{
	json_t *j = json_object();

	json_object_set_new(j, "p50", json_integer((json_int_t)pfsync_hist_pct(h, 500)));
	json_object_set_new(j, "p99", json_integer((json_int_t)pfsync_hist_pct(h, 990)));
	json_object_set_new(j, "max", json_integer((json_int_t)h->max));
	json_object_set_new(j, "samples", json_integer((json_int_t)h->n));
	return j;
}

static void
hist_text(struct ctl_out *out, const char *what, const struct pfsync_hist *h)
{
	ctl_printf(out, "	%s: p50 %" PRIu64 " us, p99 %" PRIu64 " us, max %" PRIu64
		   " us (%" PRIu64 " records)\n", what, pfsync_hist_pct(h, 500),
		   pfsync_hist_pct(h, 990), h->max, h->n);
}

/* Authentication: on or off, the key id and our sequence; never the key. */
static json_t *
auth_json(const struct pfsync *ps)
{
	json_t *j = json_object();
	char id[16];

	json_object_set_new(j, "enabled", json_boolean(ps->auth != NULL));
	if (ps->auth == NULL)
		return j;
	snprintf(id, sizeof(id), "0x%08x", ps->auth->a_key.ak_id);
	json_object_set_new(j, "keyid", json_string(id));
	json_object_set_new(j, "epoch", json_integer(ps->auth->a_epoch));
	json_object_set_new(j, "counter", json_integer(ps->auth->a_counter));
	json_object_set_new(j, "last_failure", ps->auth_last_err == PFSYNC_AUTH_OK ? json_null() :
			    json_string(pfsync_auth_err_str(ps->auth_last_err)));
	return j;
}

static void
auth_text(struct ctl_out *out, const struct pfsync *ps)
{
	if (ps->auth == NULL) {
		ctl_printf(out, "\tauth off\n");
		return;
	}
	ctl_printf(out, "\tauth on: HMAC-SHA256, key id 0x%08x, sequence %u:%u, "
		   "%" PRIu64 " bad, %" PRIu64 " replayed, last failure %s\n",
		   ps->auth->a_key.ak_id, ps->auth->a_epoch, ps->auth->a_counter,
		   ps->stats[PFSYNC_STAT_BADAUTH], ps->xstats[PFSYNC_X_REPLAY],
		   ps->auth_last_err == PFSYNC_AUTH_OK ? "none" :
		   pfsync_auth_err_str(ps->auth_last_err));
}

static json_t *
show_json(const struct pfsync *ps)
{
	json_t *top = json_object(), *bulk = json_object(), *q = json_object();
	json_t *sent = json_object(), *rcvd = json_object(), *st = json_object();
	json_t *x = json_object(), *bs = json_object(), *lat = json_object();
	char peer[16];
	unsigned int i;

	snprintf(peer, sizeof(peer), "%u.%u.%u.%u", ps->dst_ip[0], ps->dst_ip[1], ps->dst_ip[2],
		 ps->dst_ip[3]);
	json_object_set_new(top, "interface", json_string(ps->dp->ifaces[ps->ifx].name));
	json_object_set_new(top, "peer", json_string(peer));
	json_object_set_new(top, "maxupd", json_integer(ps->conf.maxupd));
	json_object_set_new(top, "flush_us", json_integer(ps->conf.flush_us));
	json_object_set_new(top, "defer", json_boolean(ps->conf.defer));
	json_object_set_new(top, "link", json_string(ps->link_up ? "up" : "down"));
	json_object_set_new(top, "path", json_string(pfsync_path_name(ps)));
	json_object_set_new(top, "auth", auth_json(ps));
	json_object_set_new(bulk, "state", json_string(pfsync_bulk_state_name(ps->breq.state)));
	json_object_set_new(bulk, "result", json_string(pfsync_bulk_result_name(ps->breq.result)));
	json_object_set_new(bulk, "duration_ms", json_integer((json_int_t)bulk_ms(ps)));
	json_object_set_new(bulk, "states", json_integer((json_int_t)ps->bulk_rx));
	json_object_set_new(bulk, "applied", json_integer((json_int_t)ps->brx.applied));
	json_object_set_new(bulk, "lost", json_integer((json_int_t)ps->brx.lost));
	json_object_set_new(bulk, "retries", json_integer(ps->breq.retries));
	json_object_set_new(bulk, "demotion", json_integer(bulk_demotion(ps)));
	json_object_set_new(bulk, "bulks", json_integer((json_int_t)ps->breq.bulks));
	json_object_set_new(bulk, "timeouts", json_integer((json_int_t)ps->breq.timeouts));
	json_object_set_new(bulk, "requests", json_integer((json_int_t)ps->bulk_req_sent));
	json_object_set_new(top, "bulk", bulk);
	json_object_set_new(bs, "active", json_boolean(ps->bsend.active));
	json_object_set_new(bs, "states", json_integer((json_int_t)(ps->bsend.active ?
				ps->bsend.states : ps->bsend.last_states)));
	json_object_set_new(bs, "duration_ms", json_integer((json_int_t)ps->bsend.last_ms));
	json_object_set_new(top, "bulk_send", bs);
	json_object_set_new(lat, "out_us", hist_json(&ps->lat_out));
	json_object_set_new(lat, "apply_us", hist_json(&ps->lat_apply));
	json_object_set_new(top, "latency", lat);
	json_object_set_new(top, "deferrals", pfsync_defer_json(ps));
	for (i = 0; i < PFSYNC_Q_MAX; i++)
		json_object_set_new(q, pfsync_q_name(i),
				    json_integer(pfsync_q_count(ps->q, i)));
	json_object_set_new(top, "queued", q);
	json_object_set_new(sent, "packets",
			    json_integer((json_int_t)ps->stats[PFSYNC_STAT_OPACKETS]));
	json_object_set_new(sent, "records", json_integer((json_int_t)ps->xstats[PFSYNC_X_REC_OUT]));
	json_object_set_new(rcvd, "packets",
			    json_integer((json_int_t)ps->stats[PFSYNC_STAT_IPACKETS]));
	json_object_set_new(rcvd, "records", json_integer((json_int_t)ps->xstats[PFSYNC_X_REC_IN]));
	for (i = 0; i < PFSYNC_ACT_MAX; i++) {
		if (ps->tx_act[i] != 0)
			json_object_set_new(sent, pfsync_act_name(i),
					    json_integer((json_int_t)ps->tx_act[i]));
		if (ps->rx_act[i] != 0)
			json_object_set_new(rcvd, pfsync_act_name(i),
					    json_integer((json_int_t)ps->rx_act[i]));
	}
	json_object_set_new(top, "sent", sent);
	json_object_set_new(top, "received", rcvd);
	for (i = 0; i < PFSYNC_STAT_MAX; i++)
		json_object_set_new(st, pfsync_stat_name(i), json_integer((json_int_t)ps->stats[i]));
	json_object_set_new(top, "stats", st);
	for (i = 0; i < PFSYNC_X_MAX; i++)
		json_object_set_new(x, pfsync_xstat_name(i), json_integer((json_int_t)ps->xstats[i]));
	json_object_set_new(x, "peer-states-indexed", json_integer(ps->idmap.ids.count));
	json_object_set_new(top, "dpf", x);
	return top;
}

static void
show_text(struct ctl_out *out, const struct pfsync *ps)
{
	unsigned int i;

	ctl_printf(out, "pfsync: syncdev %s syncpeer %u.%u.%u.%u maxupd %u flush %u us defer %s\n",
		   ps->dp->ifaces[ps->ifx].name, ps->dst_ip[0], ps->dst_ip[1], ps->dst_ip[2],
		   ps->dst_ip[3], ps->conf.maxupd, ps->conf.flush_us,
		   ps->conf.defer ? "on" : "off");
	ctl_printf(out, "\tlink %s, arrives by %s\n", ps->link_up ? "up" : "down",
		   pfsync_path_name(ps));
	auth_text(out, ps);
	ctl_printf(out, "\tbulk update: %s, last %s, %" PRIu64 " states in %" PRIu64
		   " ms (%" PRIu64 " applied, %" PRIu64 " lost, %u retries), demotion %d\n",
		   pfsync_bulk_state_name(ps->breq.state),
		   pfsync_bulk_result_name(ps->breq.result), ps->bulk_rx, bulk_ms(ps),
		   ps->brx.applied, ps->brx.lost, ps->breq.retries, bulk_demotion(ps));
	ctl_printf(out, "\tbulk send: %s, last %" PRIu64 " states in %" PRIu64 " ms\n",
		   ps->bsend.active ? "in progress" : "idle", ps->bsend.last_states,
		   ps->bsend.last_ms);
	hist_text(out, "state change to record sent", &ps->lat_out);
	hist_text(out, "record received to applied", &ps->lat_apply);
	pfsync_defer_text(out, ps);
	ctl_printf(out, "\tqueued:");
	for (i = 0; i < PFSYNC_Q_MAX; i++)
		ctl_printf(out, " %s %u", pfsync_q_name(i), pfsync_q_count(ps->q, i));
	ctl_printf(out, "\n\tsent %" PRIu64 " packets, %" PRIu64 " records; received %" PRIu64
		   " packets, %" PRIu64 " records\n", ps->stats[PFSYNC_STAT_OPACKETS],
		   ps->xstats[PFSYNC_X_REC_OUT], ps->stats[PFSYNC_STAT_IPACKETS],
		   ps->xstats[PFSYNC_X_REC_IN]);
	ctl_printf(out, "pfsync:\n");
	for (i = 0; i < PFSYNC_STAT_MAX; i++)
		ctl_printf(out, "\t%" PRIu64 " %s (%s)\n", ps->stats[i], pfsync_stat_descr(i),
			   pfsync_stat_name(i));
	for (i = 0; i < PFSYNC_X_MAX; i++)
		ctl_printf(out, "\t%" PRIu64 " %s\n", ps->xstats[i], pfsync_xstat_name(i));
}

static int
cmd_show_pfsync(struct ctl_out *out, int argc, char **argv, void *arg)
{
	const struct pfsync *ps = arg;

	(void)argv;
	if (argc != 0) {
		ctl_error(out, CTL_BAD_ARG, "usage: show pfsync");
		return -1;
	}
	if (ctl_out_json(out))
		ctl_json(out, show_json(ps));
	else
		show_text(out, ps);
	return 0;
}

static const struct ctl_cmd pfsync_cmds[] = {
	{ "show pfsync", "", "pfsync: sync interface, bulk update, queues, counters",
	  cmd_show_pfsync, CTL_F_READONLY },
};

int
pfsync_cmds_register(struct pfsync *ps, struct ctl_server *srv)
{
	return ctl_register(srv, pfsync_cmds, sizeof(pfsync_cmds) / sizeof(pfsync_cmds[0]), ps);
}
