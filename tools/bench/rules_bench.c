/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rules_bench: cycles per classification of the compiled ruleset (rte_acl,
 * dataplane/rules_acl.c) against the linear reference evaluator, at 10,
 * 1,000 and 10,000 rules, IPv4 and IPv6, single and bulk.
 *
 *   rules_bench [EAL args...]        e.g. --force-max-simd-bitwidth=512
 *
 * Rules are firewall-like (as in DPDK's dpdk-test-acl setup):
 * pass/block, in/out/both, some quick, TCP/UDP/any, source and destination
 * prefixes /8../32 (/32../128 for IPv6), destination port single or range,
 * some interface sets.  Traces are 64K packets, 70% built to hit a rule
 * (taken from a random rule's fields), the rest random.  The figure is
 * rte_rdtsc cycles per packet of the median 1024-packet chunk of the trace,
 * after one warm pass (robust to other jobs on the CPU); the linear
 * evaluator runs on a shorter trace at 10k rules, timed whole.  cls_kB is
 * the IPv6 address class tables beside rte_acl (rules_cls6.h; rte_acl's
 * own memory is in its debug log: --log-level=lib.acl:debug, "total").
 * The last column is rte_acl's classify method (the widest the EAL allows).
 * Every acl answer is checked against the reference on the first 4096
 * packets, so a fast wrong classifier cannot report a number.
 *
 * Each size runs with the rules' interface sets drawn from 8 interfaces
 * (ifs 8: more than 8 classes, the "two-ifaces" layout: both interfaces in
 * rte_acl's input, the directions as categories), the same rules again in
 * the "per-dir" layout (forced: direction and interface in the input, one
 * category, a walk per direction), and from 4 interfaces (ifs 4: 5
 * classes, the "classes" layout, 12 categories); rules_acl.c.  io64 is
 * rules_acl_eval_bulk_io() on bursts of 64 packets, each in on its
 * interface and out on the next one: cycles per packet for both
 * directions, to compare with twice bulk64.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "control/rules/rules.h"
#include "dataplane/rules_acl.h"

#define TRACE 65536
#define CHECK 4096

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned int
rn(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static struct rule_prefix if_addrs[8][2];
static struct rules_env_iface ifaces[8];
static unsigned int n_ifs = 8;	/* interfaces the rules' sets are drawn from */
static char names[8][8];
static struct rules_env env;

static void
rand_prefix(char *buf, size_t len, int six, unsigned int *plen, uint8_t *addr)
{
	uint8_t a[16] = { 0 };
	unsigned int max = six ? 128 : 32, l = six ? 32 + rn(97) : 8 + rn(25);

	for (int i = 0; i < 16; i++)
		a[i] = (uint8_t)rnd();
	if (six) {
		a[0] = 0x20;
		a[1] = 0x01;
	}
	for (unsigned int b = l; b < max; b++)
		a[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	memcpy(addr, a, 16);
	*plen = l;
	inet_ntop(six ? AF_INET6 : AF_INET, a, buf, (socklen_t)len);
	snprintf(buf + strlen(buf), len - strlen(buf), "/%u", l);
}

struct hit {
	uint8_t src[16], dst[16];
	unsigned int splen, dplen;
	uint8_t proto;
	uint16_t dport;
	uint8_t dir;
	uint16_t iface;
};

static struct dpf_ruleset *
make_rules(unsigned int n, int six, struct hit *hits)
{
	struct dpf_ruleset *rs = calloc(1, sizeof(*rs));
	struct rules_error err;
	unsigned int bad;

	rs->rules = calloc(n, sizeof(*rs->rules));
	for (unsigned int i = 0; i < n; i++) {
		char text[512], s[64], d[64];
		size_t at = 0;
		struct hit *h = &hits[i];
		unsigned int pr = rn(10), dirs = rn(3);

		at += (size_t)snprintf(text + at, sizeof(text) - at, "%s%s%s",
				       rn(2) ? "pass" : "block",
				       dirs == 0 ? " in" : dirs == 1 ? " out" : "",
				       rn(10) == 0 ? " quick" : "");
		h->dir = dirs == 1 ? RULE_DIR_OUT : RULE_DIR_IN;
		h->iface = (uint16_t)rn(n_ifs);
		if (rn(4) == 0)
			at += (size_t)snprintf(text + at, sizeof(text) - at, " on { if%u if%u }",
					       h->iface, (h->iface + 1) % n_ifs);
		h->proto = pr < 5 ? 6 : pr < 8 ? 17 : 47;
		rand_prefix(s, sizeof(s), six, &h->splen, h->src);
		rand_prefix(d, sizeof(d), six, &h->dplen, h->dst);
		if (pr < 8) {
			uint16_t p = (uint16_t)rn(65536), q = (uint16_t)(p + rn(1000));

			if (q < p)
				q = 65535;
			h->dport = p;
			if (rn(2))
				snprintf(text + at, sizeof(text) - at, " proto %s from %s to %s port %u",
					 h->proto == 6 ? "tcp" : "udp", s, d, p);
			else
				snprintf(text + at, sizeof(text) - at, " proto %s from %s to %s port "
					 "%u:%u", h->proto == 6 ? "tcp" : "udp", s, d, p, q);
		} else {
			snprintf(text + at, sizeof(text) - at, " from %s to %s", s, d);
			h->dport = (uint16_t)rn(65536);
		}
		if (rules_parse_string(text, &env, &rs->rules[i], &err) != 0) {
			fprintf(stderr, "rule \"%s\": %s\n", text, err.msg);
			exit(1);
		}
		rs->n++;
	}
	rules_number(rs->rules, rs->n, &bad, &err);
	return rs;
}

static void
make_trace(struct rule_pkt *t, unsigned int n, int six, const struct hit *hits,
	   unsigned int n_rules)
{
	for (unsigned int i = 0; i < n; i++) {
		struct rule_pkt *p = &t[i];

		memset(p, 0, sizeof(*p));
		p->af = six ? 6 : 4;
		for (int k = 0; k < 16; k++) {
			p->src[k] = (uint8_t)rnd();
			p->dst[k] = (uint8_t)rnd();
		}
		p->proto = rn(2) ? 6 : 17;
		p->dir = rn(2) ? RULE_DIR_IN : RULE_DIR_OUT;
		p->iface = (uint16_t)rn(8);
		p->sport = (uint16_t)rnd();
		p->dport = (uint16_t)rnd();
		p->tcp_flags = rn(4) ? PF_TH_SYN : PF_TH_ACK;
		if (rn(10) < 7) {
			const struct hit *h = &hits[rn(n_rules)];
			unsigned int bytes = six ? 16 : 4;

			/* Keep the rule's prefix bits, randomize the host bits. */
			for (unsigned int b = 0; b < h->splen; b++) {
				uint8_t m = (uint8_t)(0x80 >> (b % 8));

				p->src[b / 8] = (uint8_t)((p->src[b / 8] & ~m) | (h->src[b / 8] & m));
			}
			for (unsigned int b = 0; b < h->dplen; b++) {
				uint8_t m = (uint8_t)(0x80 >> (b % 8));

				p->dst[b / 8] = (uint8_t)((p->dst[b / 8] & ~m) | (h->dst[b / 8] & m));
			}
			(void)bytes;
			p->proto = h->proto;
			p->dport = h->dport;
			p->dir = h->dir;
			p->iface = h->iface;
		}
		if (!six) {
			memset(p->src + 4, 0, 12);
			memset(p->dst + 4, 0, 12);
		}
	}
}

static volatile int sink;

/*
 * The trace is timed in chunks of CHUNK packets and the figure is the
 * median chunk's cycles per packet: a chunk takes ~0.1-1 ms, so on a
 * shared machine most chunks run without being preempted, and the median
 * drops the ones that were (a whole-trace average counts the other jobs'
 * time slices as classification).
 */
#define CHUNK 1024

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
median_per_pkt(uint64_t *t, unsigned int nc, unsigned int per)
{
	qsort(t, nc, sizeof(*t), cmp_u64);
	return (double)t[nc / 2] / per;
}

static double
bench_single(const struct rules_acl *acl, const struct rule_pkt *t, unsigned int n)
{
	uint64_t tc[TRACE / CHUNK];
	unsigned int nc = n / CHUNK;
	int acc = 0;

	for (unsigned int i = 0; i < n; i++)	/* warm */
		acc += rules_acl_eval(acl, &t[i]);
	for (unsigned int c = 0; c < nc; c++) {
		uint64_t c0 = rte_rdtsc_precise();

		for (unsigned int i = c * CHUNK; i < (c + 1) * CHUNK; i++)
			acc += rules_acl_eval(acl, &t[i]);
		tc[c] = rte_rdtsc_precise() - c0;
	}
	sink = acc;
	return median_per_pkt(tc, nc, CHUNK);
}

static double
bench_bulk(const struct rules_acl *acl, const struct rule_pkt *t, unsigned int n, uint8_t af,
	   unsigned int burst)
{
	const struct rule_pkt *pp[RULES_ACL_BULK_MAX];
	int res[RULES_ACL_BULK_MAX];
	uint64_t tc[TRACE / CHUNK];
	unsigned int nc = n / CHUNK, per = CHUNK / burst * burst;
	int acc = 0;

	for (int pass = 0; pass < 2; pass++) {	/* the first one warms */
		for (unsigned int c = 0; c < nc; c++) {
			uint64_t c0 = rte_rdtsc_precise();

			for (unsigned int i = c * CHUNK; i + burst <= (c + 1) * CHUNK; i += burst) {
				for (unsigned int k = 0; k < burst; k++)
					pp[k] = &t[i + k];
				rules_acl_eval_bulk(acl, af, pp, burst, res);
				acc += res[0];
			}
			tc[c] = rte_rdtsc_precise() - c0;
		}
	}
	sink = acc;
	return median_per_pkt(tc, nc, per);
}

/* In on its interface, out on the next one (mod 8). */
static int
io_out(const struct rule_pkt *p)
{
	return (p->iface + 1) % 8;
}

static double
bench_io(const struct rules_acl *acl, const struct rule_pkt *t, unsigned int n, uint8_t af)
{
	const struct rule_pkt *pp[64];
	int rin[64], rout[64], oif[64];
	uint64_t tc[TRACE / CHUNK];
	unsigned int nc = n / CHUNK, per = CHUNK / 64 * 64;
	int acc = 0;

	for (int pass = 0; pass < 2; pass++) {	/* the first one warms */
		for (unsigned int c = 0; c < nc; c++) {
			uint64_t c0 = rte_rdtsc_precise();

			for (unsigned int i = c * CHUNK; i + 64 <= (c + 1) * CHUNK; i += 64) {
				for (unsigned int k = 0; k < 64; k++) {
					pp[k] = &t[i + k];
					oif[k] = io_out(&t[i + k]);
				}
				rules_acl_eval_bulk_io(acl, af, pp, oif, 64, rin, rout);
				acc += rin[0] + rout[0];
			}
			tc[c] = rte_rdtsc_precise() - c0;
		}
	}
	sink = acc;
	return median_per_pkt(tc, nc, per);
}

static double
bench_linear(const struct dpf_ruleset *rs, const struct rule_pkt *t, unsigned int n)
{
	uint64_t c0, c1;
	int acc = 0;

	c0 = rte_rdtsc_precise();
	for (unsigned int i = 0; i < n; i++)
		acc += rules_eval_ref(rs, &t[i]);
	c1 = rte_rdtsc_precise();
	sink = acc;
	return (double)(c1 - c0) / n;
}

int
main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 10, 1000, 10000 };
	char *eal[32] = { argv[0], "--no-huge", "--no-shconf", "--no-pci", "-l", "0", "-m",
			  "2048", "--log-level=lib.eal:error" };
	int n_eal = 9;
	struct rule_pkt *trace = malloc(TRACE * sizeof(*trace));
	struct rule_pkt *trace_in = malloc(TRACE * sizeof(*trace_in));

	for (int i = 1; i < argc && n_eal < 31; i++)
		eal[n_eal++] = argv[i];
	if (rte_eal_init(n_eal, eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	for (unsigned int i = 0; i < 8; i++) {
		snprintf(names[i], sizeof(names[i]), "if%u", i);
		ifaces[i] = (struct rules_env_iface){ names[i], i, 0, if_addrs[i] };
	}
	env = (struct rules_env){ 8, ifaces, 0, NULL };
	printf("# rules_bench: TSC %.2f GHz, trace %u packets (70%% built to hit a rule); "
	       "rte_acl's default algorithm for this CPU and EAL args\n", rte_get_tsc_hz() / 1e9,
	       TRACE);
	printf("%-4s %6s %3s %-10s %3s %8s %9s %8s %8s %8s %8s %8s %9s %7s %s\n", "af", "rules",
	       "ifs", "layout", "cat", "entries", "build_ms", "single", "bulk32", "bulk64",
	       "bulk128", "io64", "linear", "cls_kB", "alg");
	for (int six = 0; six < 2; six++) {
		for (size_t z = 0; z < 2 * sizeof(sizes) / sizeof(sizes[0]); z++) {
			size_t s = z / 2;
			unsigned int n = sizes[s];
			struct hit *hits = calloc(n, sizeof(*hits));
			struct dpf_ruleset *rs;
			struct rules_acl *acl;
			char err[512];
			uint64_t b0, b1;
			unsigned int lin_n = n >= 10000 ? 2000 : n >= 1000 ? 8000 : TRACE;

			n_ifs = z % 2 ? 4 : 8;
			rs = make_rules(n, six, hits);
			make_trace(trace, TRACE, six, hits, n);
			/* ifs 8: the layout the build picks, then per-dir forced. */
			for (unsigned int lay = 0; lay < (n_ifs == 8 ? 2u : 1u); lay++) {
				b0 = rte_rdtsc_precise();
				acl = rules_acl_build_opt(rs, lay ? RULES_ACL_PER_DIR : 0, err, sizeof(err));
				b1 = rte_rdtsc_precise();
				if (acl == NULL) {
					fprintf(stderr, "build: %s\n", err);
					return 1;
			}
			for (unsigned int i = 0; i < CHECK; i++) {
				if (rules_acl_eval(acl, &trace[i]) != rules_eval_ref(rs, &trace[i])) {
					fprintf(stderr, "MISMATCH at packet %u\n", i);
					return 1;
				}
			}
			/* io64's packets come in: every one as RULE_DIR_IN, checked
			 * in and out against the reference. */
			for (unsigned int i = 0; i < TRACE; i++) {
				trace_in[i] = trace[i];
				trace_in[i].dir = RULE_DIR_IN;
			}
			for (unsigned int i = 0; i < CHECK; i += 64) {
				const struct rule_pkt *pp[64];
				int rin[64], rout[64], oif[64];

				for (unsigned int k = 0; k < 64; k++) {
					pp[k] = &trace_in[i + k];
					oif[k] = io_out(&trace_in[i + k]);
				}
				rules_acl_eval_bulk_io(acl, six ? 6 : 4, pp, oif, 64, rin, rout);
				for (unsigned int k = 0; k < 64; k++) {
					struct rule_pkt po = trace_in[i + k];

					po.dir = RULE_DIR_OUT;
					po.iface = (uint16_t)oif[k];
					if (rin[k] != rules_eval_ref(rs, &trace_in[i + k]) ||
					    rout[k] != rules_eval_ref(rs, &po)) {
						fprintf(stderr, "MISMATCH (io) at packet %u\n", i + k);
						return 1;
					}
				}
			}
			printf("%-4s %6u %3u %-10s %3u %8u %9.1f %8.1f %8.1f %8.1f %8.1f %8.1f %9.1f %7zu "
			       "%s\n", six ? "ipv6" : "ipv4", n, n_ifs, rules_acl_layout(acl),
			       rules_acl_categories(acl),
			       rules_acl_entries(acl, six ? 6 : 4),
			       (double)(b1 - b0) * 1e3 / rte_get_tsc_hz(),
			       bench_single(acl, trace, TRACE),
			       bench_bulk(acl, trace, TRACE, six ? 6 : 4, 32),
			       bench_bulk(acl, trace, TRACE, six ? 6 : 4, 64),
			       bench_bulk(acl, trace, TRACE, six ? 6 : 4, 128),
			       bench_io(acl, trace_in, TRACE, six ? 6 : 4),
			       bench_linear(rs, trace, lin_n), rules_acl_cls_memory(acl) >> 10,
			       rules_acl_alg(acl));
			fflush(stdout);
			rules_acl_free(acl);
			}
			rules_ruleset_free(rs);
			free(hits);
		}
	}
	printf("# cycles per classification (rte_rdtsc, median of %u-packet chunks); single = "
	       "rules_acl_eval, bulkN = rules_acl_eval_bulk of N, io64 = rules_acl_eval_bulk_io of 64 "
	       "(in and out, per packet), linear = rules_eval_ref (whole trace)\n", CHUNK);
	free(trace);
	free(trace_in);
	rte_eal_cleanup();
	return 0;
}
