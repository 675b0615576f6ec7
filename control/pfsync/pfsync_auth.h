/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Authenticated pfsync, the engine's part: the key, our sequence numbers
 * and the replay check per sender.  The wire format and the HMAC are
 * proto/pfsync_auth.h.  No DPDK: unit-tested alone.
 *
 * Sequence numbers are (epoch << 32 | counter).  The epoch is the wall
 * clock in seconds when the engine starts (and, should the 32-bit counter
 * wrap, the larger of the clock and epoch + 1), so a restarted sender
 * starts above everything it sent before without storing anything, as
 * long as its clock did not step back by more than its previous run.
 * The receiver keeps the last sequence number it accepted per sender
 * (creatorid) and rejects anything not above it: on a direct link packets
 * arrive in order, and a lost one costs nothing.
 *
 * Ownership: [C] the control core.
 */
#ifndef DPF_CONTROL_PFSYNC_AUTH_H
#define DPF_CONTROL_PFSYNC_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/pfsync_auth.h"

#define PFSYNC_AUTH_PEERS 16		/* senders remembered; the oldest goes first */

struct pfsync_auth_peer {
	uint32_t ap_sender;
	bool ap_used;
	uint64_t ap_last;		/* last sequence number accepted */
	uint64_t ap_seen;		/* when (caller's clock) */
};

struct pfsync_auth {
	struct pfsync_auth_key a_key;
	uint32_t a_epoch;
	uint32_t a_counter;		/* last used; the first packet sends 1 */
	struct pfsync_auth_peer a_peers[PFSYNC_AUTH_PEERS];
};

/* Sets a up with key[0, len) and the wall clock now_s; -EINVAL for a bad key. */
__attribute__((warn_unused_result))
int pfsync_auth_init(struct pfsync_auth *a, const uint8_t *key, size_t len, uint32_t now_s);

/* The next sequence number to send; now_s is read only when the counter wraps. */
uint64_t pfsync_auth_next_seq(struct pfsync_auth *a, uint32_t now_s);

/*
 * Whether seq from sender is new (above the last accepted from it); if so
 * it becomes the last.  Call only for a packet whose MAC was verified, so
 * that a forged one cannot move the window.  now orders the senders for
 * replacement when more than PFSYNC_AUTH_PEERS are heard.
 */
bool pfsync_auth_accept(struct pfsync_auth *a, uint32_t sender, uint64_t seq, uint64_t now);

/* Forgets the key (explicit_bzero). */
void pfsync_auth_fini(struct pfsync_auth *a);

#endif /* DPF_CONTROL_PFSYNC_AUTH_H */
