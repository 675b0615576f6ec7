/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The dataplane's one clock: microseconds and seconds since dp_init(),
 * from the TSC.
 *
 * Workers (state creation and expiry, in seconds), the control core (CARP
 * timers in microseconds, neighbour and ICMP timers in local.c, `show
 * states` ages) and later pfsync (expiry sent as seconds left) all read
 * this clock, so a time taken on one core compares with a time taken on
 * another, and the seconds are exactly the microseconds divided by 10^6:
 * a state created at second s on a worker has existed for (us - s * 10^6)
 * microseconds on the control core, with no drift between two conversions
 * of the same TSC.
 *
 * The TSC is invariant and synchronized between cores on the machines DPDK
 * supports for this use (constant_tsc, nonstop_tsc); rte_get_tsc_hz() is its
 * rate.  Conversion is one 64x64->128-bit multiply by 2^64 * 10^6 / hz, exact
 * to better than a microsecond per year of uptime, without the overflow of
 * (tsc * 10^6) / hz after a few hours.
 *
 * Ownership: [I] set once by dp_clock_init() (dp_init()) before any core
 * reads it; read-only afterwards, so every core may read it without atomics.
 */
#ifndef DPF_DP_CLOCK_H
#define DPF_DP_CLOCK_H

#include <stdint.h>

#include <rte_cycles.h>

#define DP_CLOCK_US_PER_S 1000000u

struct dp_clock {
	uint64_t start_tsc;	/* [I] TSC at dp_init() */
	uint64_t hz;		/* [I] TSC ticks per second (rte_get_tsc_hz()) */
	uint64_t us_mult;	/* [I] 2^64 * 10^6 / hz */
};

/* Starts the clock at 0 now.  Needs EAL (the TSC rate). */
static inline void
dp_clock_init(struct dp_clock *ck)
{
	ck->hz = rte_get_tsc_hz();
	if (ck->hz < DP_CLOCK_US_PER_S)	/* never on real hardware; keeps us_mult in range */
		ck->hz = DP_CLOCK_US_PER_S;
	ck->us_mult = (uint64_t)(((unsigned __int128)DP_CLOCK_US_PER_S << 64) / ck->hz);
	ck->start_tsc = rte_rdtsc();
}

/* Microseconds since the start at TSC value tsc (one the caller sampled). */
static inline uint64_t
dp_clock_us_at(const struct dp_clock *ck, uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)(tsc - ck->start_tsc) * ck->us_mult) >> 64);
}

/* Seconds since the start at TSC value tsc: dp_clock_us_at() / 10^6. */
static inline uint32_t
dp_clock_s_at(const struct dp_clock *ck, uint64_t tsc)
{
	return (uint32_t)(dp_clock_us_at(ck, tsc) / DP_CLOCK_US_PER_S);
}

static inline uint64_t
dp_clock_us(const struct dp_clock *ck)
{
	return dp_clock_us_at(ck, rte_rdtsc());
}

static inline uint32_t
dp_clock_s(const struct dp_clock *ck)
{
	return dp_clock_s_at(ck, rte_rdtsc());
}

/* TSC ticks in us microseconds (for pacing loops that keep TSC deadlines). */
static inline uint64_t
dp_clock_tsc_of_us(const struct dp_clock *ck, uint64_t us)
{
	return (uint64_t)(((unsigned __int128)us * ck->hz) / DP_CLOCK_US_PER_S);
}

#endif /* DPF_DP_CLOCK_H */
