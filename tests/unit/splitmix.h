/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: splitmix64, the tests' reproducible random numbers (Steele, Lea
 * and Flood, "Fast splittable pseudorandom number generators", 2014: its
 * constants).  One state word per stream; a seed is any value of it.
 */
#ifndef DPF_TESTS_SPLITMIX_H
#define DPF_TESTS_SPLITMIX_H

#include <stdint.h>

static inline uint64_t
splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
