/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: dpfctl commands of CARP (docs/dpfctl.md).
 *
 * `show carp` prints per vhid the ifconfig carp line ("carp: MASTER vhid 1
 * advbase 1 advskew 0" [FreeBSD sbin/ifconfig/ifcarp.c]), then the
 * demotion and its groups, the virtual MAC and addresses, the last
 * transition with its reason, the 16 carpstats counters under OpenBSD's
 * names and the rejected adverts by reason; then the groups and the
 * counters of adverts no vhid could be charged with.  The other commands
 * mirror ifconfig: `carp demote GROUP N` (ifconfig -g GROUP carpdemote N,
 * N may be negative), `carp state VHID master|backup`, `carp down|up VHID`.
 * VHID is a number (every vhid with that number) or NUMBER@INTERFACE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/carp/carp.h"
#include "control/ctl/ctl.h"

static void
fmt_addr(uint8_t af, const uint8_t *a, char *buf, size_t len)
{
	if (inet_ntop(af == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static json_t *
stats_json(const uint64_t *stats, const uint64_t *rej, json_t **rej_out)
{
	json_t *s = json_object(), *r = json_object();
	unsigned int i;

	for (i = 0; i < CARP_STAT_MAX; i++)
		json_object_set_new(s, carp_stat_name(i), json_integer((json_int_t)stats[i]));
	for (i = 0; i < CARP_REJ_MAX; i++)
		json_object_set_new(r, carp_rej_name(i), json_integer((json_int_t)rej[i]));
	*rej_out = r;
	return s;
}

static void
stats_text(struct ctl_out *out, const uint64_t *stats, const uint64_t *rej)
{
	unsigned int i;

	for (i = 0; i < CARP_STAT_MAX; i++)
		ctl_printf(out, "\t%-16s %lu\n", carp_stat_name(i),
			   (unsigned long)stats[i]);
	ctl_printf(out, "\trejected:");
	for (i = 0; i < CARP_REJ_MAX; i++)
		ctl_printf(out, " %s %lu", carp_rej_name(i), (unsigned long)rej[i]);
	ctl_printf(out, "\n");
}

static int
cmd_show_carp(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct carp *c = arg;
	json_t *arr = NULL, *top = NULL;
	time_t now = time(NULL);
	unsigned int i, j;
	char a[INET6_ADDRSTRLEN], mac[24];

	(void)argv;
	if (argc != 0) {
		ctl_error(out, CTL_BAD_ARG, "usage: show carp");
		return -1;
	}
	if (ctl_out_json(out)) {
		top = json_object();
		arr = json_array();
	}
	for (i = 0; i < c->n_vh; i++) {
		const struct carp_vh *vh = &c->vh[i];
		const char *ifn = c->dp->ifaces[vh->iface].name;
		uint8_t vm[6];
		json_t *addrs = NULL, *grp = NULL;

		carp_vmac(vh->vhid, vm);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", vm[0], vm[1], vm[2],
			 vm[3], vm[4], vm[5]);
		if (vh->cfg->has_peer)
			fmt_addr(vh->cfg->peer.af, vh->cfg->peer.addr, a, sizeof(a));
		else
			snprintf(a, sizeof(a), "%s", vh->n4 ? "224.0.0.18" : "ff02::12");
		if (arr != NULL) {
			json_t *o = json_object(), *rj, *lt = json_null();

			addrs = json_array();
			grp = json_object();
			json_object_set_new(o, "vhid", json_integer(vh->vhid));
			json_object_set_new(o, "interface", json_string(ifn));
			json_object_set_new(o, "state", json_string(carp_state_name(vh->fsm.state)));
			json_object_set_new(o, "advbase", json_integer(vh->fsm.advbase));
			json_object_set_new(o, "advskew", json_integer(vh->fsm.advskew));
			json_object_set_new(o, "demote", json_integer(carp_vh_demote(c, vh)));
			for (j = 0; j < vh->n_groups; j++)
				json_object_set_new(grp, c->groups[vh->groups[j]].name,
						    json_integer(c->groups[vh->groups[j]].demote));
			json_object_set_new(o, "groups", grp);
			json_object_set_new(o, "admin_down", json_boolean(vh->admin_down));
			json_object_set_new(o, "link_down", json_boolean(vh->link_down));
			json_object_set_new(o, "lladdr", json_string(mac));
			json_object_set_new(o, "peer", json_string(a));
			for (j = 0; j < vh->n4; j++) {
				char b[INET6_ADDRSTRLEN];

				fmt_addr(4, vh->v4[j], b, sizeof(b));
				json_array_append_new(addrs, json_string(b));
			}
			for (j = 0; j < vh->n6; j++) {
				char b[INET6_ADDRSTRLEN];

				fmt_addr(6, vh->v6[j], b, sizeof(b));
				json_array_append_new(addrs, json_string(b));
			}
			json_object_set_new(o, "addresses", addrs);
			json_object_set_new(o, "transitions", json_integer((json_int_t)vh->transitions));
			if (vh->last_time != 0) {
				lt = json_object();
				json_object_set_new(lt, "time", json_integer((json_int_t)vh->last_time));
				json_object_set_new(lt, "ago", json_integer((json_int_t)(now -
											 vh->last_time)));
				json_object_set_new(lt, "from", json_string(carp_state_name(vh->last_from)));
				json_object_set_new(lt, "to", json_string(carp_state_name(vh->last_to)));
				json_object_set_new(lt, "reason", json_string(vh->last_reason));
			}
			json_object_set_new(o, "last_transition", lt);
			json_object_set_new(o, "stats", stats_json(vh->stats, vh->rej, &rj));
			json_object_set_new(o, "rejected", rj);
			json_object_set_new(o, "unresolved_peer", json_integer((json_int_t)vh->unresolved));
			json_array_append_new(arr, o);
			continue;
		}
		ctl_printf(out, "%s: vhid %u\n", ifn, vh->vhid);
		ctl_printf(out, "\tcarp: %s vhid %u advbase %u advskew %u\n",
			   carp_state_name(vh->fsm.state), vh->vhid, vh->fsm.advbase, vh->fsm.advskew);
		ctl_printf(out, "\tdemote %u (", carp_vh_demote(c, vh));
		for (j = 0; j < vh->n_groups; j++)
			ctl_printf(out, "%s%s %d", j ? ", " : "", c->groups[vh->groups[j]].name,
				   c->groups[vh->groups[j]].demote);
		ctl_printf(out, ")%s%s\n", vh->admin_down ? " down" : "",
			   vh->link_down ? " carpdev-link-down" : "");
		ctl_printf(out, "\tlladdr %s peer %s\n", mac, a);
		for (j = 0; j < vh->n4; j++) {
			fmt_addr(4, vh->v4[j], a, sizeof(a));
			ctl_printf(out, "\tinet %s\n", a);
		}
		for (j = 0; j < vh->n6; j++) {
			fmt_addr(6, vh->v6[j], a, sizeof(a));
			ctl_printf(out, "\tinet6 %s\n", a);
		}
		if (vh->last_time != 0) {
			struct tm tm;
			char ts[32];

			localtime_r(&vh->last_time, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
			ctl_printf(out, "\tlast transition %s (%lds ago): %s -> %s (%s), %lu in all\n",
				   ts, (long)(now - vh->last_time), carp_state_name(vh->last_from),
				   carp_state_name(vh->last_to), vh->last_reason,
				   (unsigned long)vh->transitions);
		}
		stats_text(out, vh->stats, vh->rej);
	}
	if (top != NULL) {
		json_t *g = json_object(), *rj;

		for (i = 0; i < c->n_groups; i++)
			json_object_set_new(g, c->groups[i].name, json_integer(c->groups[i].demote));
		json_object_set_new(top, "preempt", json_boolean(c->cfg->carp.preempt));
		json_object_set_new(top, "log", json_integer(c->cfg->carp.log));
		json_object_set_new(top, "vhids", arr);
		json_object_set_new(top, "groups", g);
		json_object_set_new(top, "stats", stats_json(c->stats, c->rej, &rj));
		json_object_set_new(top, "rejected", rj);
		json_object_set_new(top, "own_adverts_seen", json_integer((json_int_t)c->own));
		ctl_json(out, top);
		return 0;
	}
	ctl_printf(out, "carp: preempt %s log %u\n", c->cfg->carp.preempt ? "on" : "off",
		   c->cfg->carp.log);
	ctl_printf(out, "\tgroups:");
	for (i = 0; i < c->n_groups; i++)
		ctl_printf(out, " %s %d", c->groups[i].name, c->groups[i].demote);
	ctl_printf(out, "\n\tall vhids (and adverts for none):\n");
	stats_text(out, c->stats, c->rej);
	return 0;
}

/* Parses VHID or VHID@IFACE; calls fn on each match.  Returns matches or -1. */
static int
for_vhids(struct carp *c, struct ctl_out *out, const char *spec,
	  int (*fn)(struct carp *, struct carp_vh *, void *), void *arg)
{
	char *end;
	const char *at = strchr(spec, '@');
	long v = strtol(spec, &end, 10);
	unsigned int i;
	int n = 0;

	if (end == spec || (*end != '\0' && end != at) || v < 1 || v > 255) {
		ctl_error(out, CTL_BAD_ARG, "bad vhid \"%s\" (1..255 or VHID@INTERFACE)", spec);
		return -1;
	}
	for (i = 0; i < c->n_vh; i++) {
		struct carp_vh *vh = &c->vh[i];
		int rc;

		if (vh->vhid != v || (at != NULL &&
				      strcmp(c->dp->ifaces[vh->iface].name, at + 1) != 0))
			continue;
		rc = fn(c, vh, arg);
		if (rc == -EAGAIN) {
			ctl_error(out, CTL_FAILED, "vhid %ld on %s is in INIT (down or no link)", v,
				  c->dp->ifaces[vh->iface].name);
			return -1;
		}
		n++;
	}
	if (n == 0) {
		ctl_error(out, CTL_NOT_FOUND, "no vhid %s", spec);
		return -1;
	}
	return n;
}

static int
do_state(struct carp *c, struct carp_vh *vh, void *arg)
{
	return carp_force_state(c, vh, *(uint8_t *)arg);
}

static int
cmd_carp_state(struct ctl_out *out, int argc, char **argv, void *arg)
{
	uint8_t st;

	if (argc != 2 || (strcmp(argv[1], "master") != 0 && strcmp(argv[1], "backup") != 0)) {
		ctl_error(out, CTL_BAD_ARG, "usage: carp state VHID master|backup");
		return -1;
	}
	st = strcmp(argv[1], "master") == 0 ? CARP_ST_MASTER : CARP_ST_BACKUP;
	return for_vhids(arg, out, argv[0], do_state, &st) < 0 ? -1 : 0;
}

static int
do_down(struct carp *c, struct carp_vh *vh, void *arg)
{
	return carp_set_down(c, vh, *(bool *)arg);
}

/* `carp down VHID` and `carp up VHID`. */
static int
carp_updown(struct ctl_out *out, int argc, char **argv, void *arg, bool down)
{
	if (argc != 1) {
		ctl_error(out, CTL_BAD_ARG, down ? "usage: carp down VHID" : "usage: carp up VHID");
		return -1;
	}
	return for_vhids(arg, out, argv[0], do_down, &down) < 0 ? -1 : 0;
}

static int
cmd_carp_down(struct ctl_out *out, int argc, char **argv, void *arg)
{
	return carp_updown(out, argc, argv, arg, true);
}

static int
cmd_carp_up(struct ctl_out *out, int argc, char **argv, void *arg)
{
	return carp_updown(out, argc, argv, arg, false);
}

static int
cmd_carp_demote(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct carp *c = arg;
	char *end;
	long n;

	if (argc != 2) {
		ctl_error(out, CTL_BAD_ARG, "usage: carp demote GROUP N");
		return -1;
	}
	n = strtol(argv[1], &end, 10);
	if (end == argv[1] || *end != '\0' || n < -255 * 255 || n > 255 * 255) {
		ctl_error(out, CTL_BAD_ARG, "bad demotion \"%s\" (an integer, may be negative)",
			  argv[1]);
		return -1;
	}
	if (carp_demote(c, argv[0], (int)n, "dpfctl") != 0) {
		ctl_error(out, CTL_NOT_FOUND, "no interface group \"%s\" with a vhid", argv[0]);
		return -1;
	}
	return 0;
}

static const struct ctl_cmd carp_cmds[] = {
	{ "show carp", "", "CARP vhids: state, timers, demotion, last transition, counters",
	  cmd_show_carp, CTL_F_READONLY },
	{ "carp demote", "GROUP N", "add N (may be negative) to a group's demotion counter",
	  cmd_carp_demote, 0 },
	{ "carp state", "VHID master|backup", "force a vhid's state (not sticky)",
	  cmd_carp_state, 0 },
	{ "carp down", "VHID", "take a vhid down (a MASTER bows out first)", cmd_carp_down, 0 },
	{ "carp up", "VHID", "bring a vhid back up (as BACKUP)", cmd_carp_up, 0 },
};

int
carp_cmds_register(struct carp *c, struct ctl_server *srv)
{
	return ctl_register(srv, carp_cmds, sizeof(carp_cmds) / sizeof(carp_cmds[0]), c);
}
