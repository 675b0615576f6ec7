/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal interface between proto/pkt.c (L2, L3) and proto/pkt_l4.c (L4,
 * ICMP, ND, checksums).  Not for use outside proto/pkt*.c.
 */
#ifndef DPF_PROTO_PKT_PRIV_H
#define DPF_PROTO_PKT_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "proto/pkt.h"

/*
 * Parse the upper layer m->proto found at buf[off], the IP datagram's bytes
 * ending at buf[end] (off <= end, end - off <= 65535, both within the
 * caller's len).  m has its L3 fields and flags set; with PKT_F_QUOTED only
 * the first 8 bytes of TCP/UDP/ICMP/ICMPv6 are required and read.
 */
enum pkt_err pkt_parse_l4(const uint8_t *buf, size_t off, size_t end, struct pkt_meta *m);

#endif /* DPF_PROTO_PKT_PRIV_H */
