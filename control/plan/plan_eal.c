/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: what EAL will be given, read without EAL.
 *
 * Lcores: dp_init() needs dataplane.workers + 1 lcores, and EAL refuses a
 * list it cannot parse; both are decided by the list alone, so the plan
 * counts them as EAL will [DPDK 22.11 lib/eal/common/eal_common_options.c:
 * eal_parse_corelist for -l, eal_parse_lcores and eal_parse_set for
 * --lcores, eal_parse_coremask for -c].  The parsing follows EAL's,
 * strtoul() and all, so that a list is refused here exactly when EAL
 * would refuse it; which CPUs exist is EAL's to check at start.  dpf picks
 * --lcores for a list holding '@', '(' or ')' (control/app/main.c).
 *
 * Virtual devices: the --vdev argument that creates a port's device, in
 * the config or on the command line, says how many queues an af_packet
 * port gets (qpairs=).  Whether a device exists at all is left to EAL and
 * dp_init(): PCI devices are the machine's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "control/plan/plan.h"
#include "control/plan/plan_priv.h"

#define LC_CPUS 1024		/* CPU_SETSIZE: EAL's cpuset and lcore-set width */

struct lc_set {
	uint8_t bit[LC_CPUS];
};

static const char *
lc_blank(const char *s)
{
	while (isblank((unsigned char)*s))
		s++;
	return s;
}

/* Refuses lcore id lc, which EAL cannot have; returns -1. */
static int
lc_over(char *why, size_t len, long lc)
{
	snprintf(why, len, "lcore %ld is not below %d (RTE_MAX_LCORE)", lc, RTE_MAX_LCORE);
	return -1;
}

/* Refuses a value that is not an EAL `what` (like example); returns -1. */
static int
lc_syntax(char *why, size_t len, const char *what, const char *example)
{
	snprintf(why, len, "not an EAL %s (e.g. \"%s\")", what, example);
	return -1;
}

static void
lc_range(struct lc_set *set, unsigned long a, unsigned long b)
{
	for (unsigned long i = RTE_MIN(a, b); i <= RTE_MAX(a, b); i++)
		set->bit[i] = 1;
}

/* -l: "0-2,4" (eal_parse_corelist); lcore ids below RTE_MAX_LCORE. */
static int
lc_corelist(const char *s, struct lc_set *set, char *why, size_t len)
{
	long min = -1, idx;
	char *end;

	s = lc_blank(s);
	do {
		s = lc_blank(s);
		if (*s == '\0')
			goto syntax;
		errno = 0;
		idx = strtol(s, &end, 10);
		if (errno != 0 || end == NULL)
			goto syntax;
		if (idx < 0 || idx >= RTE_MAX_LCORE)
			return lc_over(why, len, idx);
		end = (char *)lc_blank(end);
		if (*end == '-') {
			min = idx;
		} else if (*end == ',' || *end == '\0') {
			lc_range(set, (unsigned long)(min < 0 ? idx : min), (unsigned long)idx);
			min = -1;
		} else {
			goto syntax;
		}
		s = end + 1;
	} while (*end != '\0');
	return 0;
syntax:
	return lc_syntax(why, len, "core list", "0-2,4");
}

/*
 * One --lcores set, a number, a range or a "(...)" group (eal_parse_set):
 * returns the characters taken, or -1.
 */
static int
lc_parse_set(const char *input, struct lc_set *set)
{
	const char *str = lc_blank(input);
	unsigned long idx, min, max;
	char *end = NULL;

	memset(set, 0, sizeof(*set));
	if (!isdigit((unsigned char)*str) && *str != '(')
		return -1;
	if (*str != '(') {
		errno = 0;
		idx = strtoul(str, &end, 10);
		if (errno != 0 || end == NULL || idx >= LC_CPUS)
			return -1;
		end = (char *)lc_blank(end);
		min = max = idx;
		if (*end == '-') {
			end = (char *)lc_blank(end + 1);
			if (!isdigit((unsigned char)*end))
				return -1;
			errno = 0;
			idx = strtoul(end, &end, 10);
			if (errno != 0 || end == NULL || idx >= LC_CPUS)
				return -1;
			max = idx;
			end = (char *)lc_blank(end);
			if (*end != ',' && *end != '\0')
				return -1;
		}
		if (*end != ',' && *end != '\0' && *end != '@')
			return -1;
		lc_range(set, min, max);
		return (int)(end - input);
	}
	str = lc_blank(str + 1);
	if (*str == '\0')
		return -1;
	min = ULONG_MAX;
	do {
		str = lc_blank(str);
		if (!isdigit((unsigned char)*str))
			return -1;
		errno = 0;
		idx = strtoul(str, &end, 10);
		if (errno != 0 || end == NULL || idx >= LC_CPUS)
			return -1;
		end = (char *)lc_blank(end);
		if (*end == '-') {
			if (min != ULONG_MAX)
				return -1;	/* "1-2-3" */
			min = idx;
		} else if (*end == ',' || *end == ')') {
			lc_range(set, min == ULONG_MAX ? idx : min, idx);
			min = ULONG_MAX;
		} else {
			return -1;
		}
		str = end + 1;
	} while (*end != '\0' && *end != ')');
	return (int)(lc_blank(str) - input);
}

/* --lcores: "lcores[@cpus],..." (eal_parse_lcores); lcores below RTE_MAX_LCORE. */
static int
lc_lcores(const char *s, struct lc_set *set, char *why, size_t len)
{
	struct lc_set one, cpus;
	const char *start, *end;
	int off;

	s = lc_blank(s);
	do {
		s = lc_blank(s);
		if (*s == '\0')
			goto syntax;
		start = s;
		if (*start == '(') {
			s += strcspn(s, ")");
			if (*s++ == '\0')
				goto syntax;
		}
		s += strcspn(s, "@,");
		if (*s == '@') {
			off = lc_parse_set(s + 1, &cpus);
			if (off < 0)
				goto syntax;
			end = s + 1 + off;
		} else {
			end = s;
		}
		if (*end != ',' && *end != '\0')
			goto syntax;
		if (lc_parse_set(start, &one) < 0)
			goto syntax;
		for (unsigned int i = 0; i < LC_CPUS; i++) {
			if (!one.bit[i])
				continue;
			if (i >= RTE_MAX_LCORE)
				return lc_over(why, len, (long)i);
			set->bit[i] = 1;
		}
		s = end + 1;
	} while (*end != '\0');
	return 0;
syntax:
	return lc_syntax(why, len, "lcore map", "0@0,(1-3)@1");
}

/* -c: a hexadecimal core mask (eal_parse_coremask), "0x" optional. */
static int
lc_coremask(const char *s, struct lc_set *set, char *why, size_t len)
{
	size_t n;
	unsigned int bit = 0;

	s = lc_blank(s);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	while (n > 0 && isblank((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		goto syntax;
	for (size_t i = n; i-- > 0; bit += 4) {
		int v;

		if (!isxdigit((unsigned char)s[i]))
			goto syntax;
		v = isdigit((unsigned char)s[i]) ? s[i] - '0' : tolower((unsigned char)s[i]) -
		    'a' + 10;
		for (unsigned int b = 0; b < 4; b++) {
			if (!(v & (1 << b)))
				continue;
			if (bit + b >= RTE_MAX_LCORE)
				return lc_over(why, len, (long)(bit + b));
			set->bit[bit + b] = 1;
		}
	}
	return 0;
syntax:
	snprintf(why, len, "not a hexadecimal core mask");
	return -1;
}

int
plan_lcores_count(const char *list, bool mask, unsigned int *n, char *why, size_t len)
{
	struct lc_set set;
	int rc;

	memset(&set, 0, sizeof(set));
	*n = 0;
	if (mask)
		rc = lc_coremask(list, &set, why, len);
	else if (strpbrk(list, "@()") != NULL)
		rc = lc_lcores(list, &set, why, len);
	else
		rc = lc_corelist(list, &set, why, len);
	if (rc < 0)
		return -1;
	for (unsigned int i = 0; i < LC_CPUS; i++)
		*n += set.bit[i];
	if (*n == 0) {
		snprintf(why, len, "names no lcore");
		return -1;
	}
	return 0;
}

/*
 * The lcore option of the command line, as EAL's getopt reads it: "-l
 * LIST", "-lLIST", "--lcores LIST", "--lcores=LIST", "-c MASK", "-cMASK".
 * EAL refuses two of them, so the last one found is as good as any.
 */
void
plan_eal_lcores(int argc, char *const *argv, const char **list, bool *mask)
{
	static const char *const opts[] = { "-l", "--lcores", "-c" };

	*list = NULL;
	*mask = false;
	for (int i = 0; i < argc; i++) {
		for (unsigned int k = 0; k < RTE_DIM(opts); k++) {
			size_t n = strlen(opts[k]);
			const char *v;

			if (strncmp(argv[i], opts[k], n) != 0)
				continue;
			v = argv[i] + n;
			if (k == 1 && *v == '=')
				v++;
			else if (k == 1 && *v != '\0')
				continue;	/* another long option */
			if (*v == '\0') {
				if (i + 1 >= argc)
					break;
				v = argv[++i];
			}
			*list = v;
			*mask = k == 2;
			break;
		}
	}
}

/* The vdev argument ("net_null0,size=64") of argv[i] or NULL; *i skips a separate value. */
static const char *
vdev_arg(int argc, char *const *argv, int *i)
{
	const char *a = argv[*i];

	if (strncmp(a, "--vdev=", 7) == 0)
		return a + 7;
	if (strcmp(a, "--vdev") == 0 && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static const char *
vdev_find_in(int argc, char *const *argv, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < argc; i++) {
		const char *v = vdev_arg(argc, argv, &i);

		if (v != NULL && strncmp(v, name, n) == 0 && (v[n] == ',' || v[n] == '\0'))
			return v;
	}
	return NULL;
}

const char *
plan_eal_vdev(const struct cfg_eal *eal, int argc, char *const *argv, const char *name)
{
	const char *v = vdev_find_in(argc, argv, name);

	return v != NULL ? v : vdev_find_in((int)eal->n_args, eal->args, name);
}
