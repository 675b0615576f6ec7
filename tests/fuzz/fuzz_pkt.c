/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: libFuzzer target for proto/pkt.
 *
 * The input is a frame for pkt_parse(); what it accepts is checksummed by
 * pkt_verify_cksum(), and the quote of an ICMP error goes through
 * pkt_parse_quoted() and pkt_quote_flow() (the dataplane's reading of it),
 * which must name the same flow wherever the full parser accepts the quote.
 * The input is also read as a quote itself (family from its version
 * nibble), so that the quoted path is fuzzed from its start.
 * An accepted TCP segment never has flags pf's normalisation drops.
 * Whatever the bytes, every offset and length a meta reports must lie in
 * the buffer, reasons must be in range and named, and parsing twice must
 * give the same meta; a breach aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proto/pfres.h"
#include "proto/pkt.h"
#include "proto/pkt_quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_err(enum pkt_err err)
{
	if ((unsigned int)err >= PKT_ERR_MAX || pkt_err_name(err) == NULL ||
	    strcmp(pkt_err_name(err), "?") == 0 || pkt_err_pfres(err) >= PFRES_MAX)
		abort();
}

static void
fuzz_check_meta(const struct pkt_meta *m, size_t size, int quoted)
{
	if (m->n_vlan > PKT_VLAN_MAX || m->l3_proto > PKT_L3_IPV6)
		abort();
	if (!quoted && m->l2_len != PKT_ETH_HLEN + 4 * m->n_vlan)
		abort();
	if ((size_t)m->l3_off + m->l3_hlen > size)
		abort();
	if (!quoted && m->l3_proto >= PKT_L3_IPV4 && (size_t)m->l3_off + m->ip_len > size)
		abort();
	if ((size_t)m->l4_off + m->l4_len > size || m->payload_len > m->l4_len)
		abort();
	if (m->l4_len != 0 && m->l4_off != m->l3_off + m->l3_hlen)
		abort();
	if ((m->flags & PKT_F_FRAG) && !(m->flags & PKT_F_FRAG_FIRST) && m->l4_off != 0)
		abort();
	if ((m->flags & PKT_F_ICMP_ERR) &&
	    (quoted || (size_t)m->icmp.inner_off + m->icmp.inner_len > size))
		abort();
	/* pf's normalisation drops never pass (pkt_tcp_flags_bad()). */
	if (!quoted && (m->flags & PKT_F_L4) && m->proto == PKT_IPPROTO_TCP &&
	    pkt_tcp_flags_bad(m->tcp.flags))
		abort();
	if (!quoted && (m->flags & PKT_F_L4) && m->proto == PKT_IPPROTO_TCP &&
	    (m->tcp.hlen < 20 || m->tcp.hlen > m->l4_len ||
	     (size_t)m->tcp.sack_off + m->tcp.sack_n * 8u > size))
		abort();
	if (m->proto == PKT_IPPROTO_ICMPV6 && (m->flags & PKT_F_L4) && !quoted &&
	    ((size_t)m->icmp.nd.sll_off + 6 > size || (size_t)m->icmp.nd.tll_off + 6 > size))
		abort();
}

/*
 * The fast reading of a quote stays in the buffer and, where the full
 * parser accepted it (q != NULL), agrees with it on the flow.
 */
static void
fuzz_quote_flow(const uint8_t *data, size_t size, int af, const struct pkt_meta *q)
{
	unsigned int ipv = af == AF_INET ? 4 : 6, alen = ipv == 4 ? 4 : 16;
	struct pkt_quote pq;
	int rc = pkt_quote_flow(data, size, ipv, &pq);

	if (rc == 0 && ((size_t)pq.src_off + alen > size || (size_t)pq.dst_off + alen > size ||
			((pq.flags & PKT_QUOTE_L4) && (size_t)pq.l4_off + 8 > size)))
		abort();
	if (q == NULL)
		return;
	if (rc != 0 || pq.proto != q->proto)
		abort();
	if ((q->flags & PKT_F_L4) && (!(pq.flags & PKT_QUOTE_L4) || pq.l4_off != q->l4_off))
		abort();
	if ((q->flags & PKT_F_L4) &&
	    (q->proto == PKT_IPPROTO_TCP || q->proto == PKT_IPPROTO_UDP) &&
	    (pq.sport != q->sport || pq.dport != q->dport))
		abort();
}

static void
fuzz_quoted(const uint8_t *data, size_t size, int af)
{
	struct pkt_meta q, q2;
	enum pkt_err err = pkt_parse_quoted(data, size, af, &q);

	fuzz_check_err(err);
	if (pkt_parse_quoted(data, size, af, &q2) != err || memcmp(&q, &q2, sizeof(q)) != 0)
		abort();
	if (err == PKT_ERR_OK) {
		fuzz_check_meta(&q, size, 1);
		fuzz_check_err(pkt_verify_cksum(data, size, &q));
	}
	fuzz_quote_flow(data, size, af, err == PKT_ERR_OK ? &q : NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_meta m, m2;
	enum pkt_err err = pkt_parse(data, size, &m);

	fuzz_check_err(err);
	if (pkt_parse(data, size, &m2) != err || memcmp(&m, &m2, sizeof(m)) != 0)
		abort();
	if (err == PKT_ERR_OK) {
		fuzz_check_meta(&m, size, 0);
		fuzz_check_err(pkt_verify_cksum(data, size, &m));
		if (m.flags & PKT_F_ICMP_ERR)
			fuzz_quoted(data + m.icmp.inner_off, m.icmp.inner_len,
				    m.l3_proto == PKT_L3_IPV4 ? AF_INET : AF_INET6);
	}
	if (size > 0)
		fuzz_quoted(data, size, data[0] >> 4 == 6 ? AF_INET6 : AF_INET);
	return 0;
}
