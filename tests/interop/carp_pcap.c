/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * carp_pcap: writes CARP adverts built by proto/carp into a pcap file
 * (LINKTYPE_ETHERNET), for test_carp_tshark.sh to decode with tshark.
 *
 *   carp_pcap [-k KEY] OUT.pcap SPEC...
 *
 * SPEC is "AF,VHID,ADVSKEW,ADVBASE,DEMOTE,COUNTER,VIP[,FLAG]":
 *   AF       4 or 6
 *   COUNTER  64-bit, decimal or 0x-hex
 *   VIP      the one virtual address the HMAC covers (IPv4 or IPv6 text),
 *            so the script can recompute the HMAC with openssl (ucarp's
 *            message shape: version, type, vhid, address, counter)
 *   FLAG     "badsum": corrupt the CARP checksum after building;
 *            "peer": IPv4 unicast to 198.18.0.3 / 02:00:00:00:00:03
 * Sources are 198.18.0.2 and fe80::2; the IPv4 id is the packet number.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/carp.h"

#define SPEC_FIELDS 8

static int
usage(void)
{
	fprintf(stderr, "usage: carp_pcap [-k KEY] OUT.pcap "
		"AF,VHID,ADVSKEW,ADVBASE,DEMOTE,COUNTER,VIP[,badsum|peer]...\n");
	return 2;
}

static int
parse_u8(const char *s, uint8_t *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 0);
	if (errno != 0 || *s == '\0' || *end != '\0' || n > 255)
		return -1;
	*v = (uint8_t)n;
	return 0;
}

/* Build one frame from spec into f; returns its length or 0 after a message. */
static size_t
build(char *spec, const char *key, unsigned int seq, uint8_t *f, size_t flen)
{
	static const uint8_t src4[4] = { 198, 18, 0, 2 };
	static const uint8_t peer4[4] = { 198, 18, 0, 3 };
	static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x03 };
	static const uint8_t src6[16] = { 0xfe, 0x80, [15] = 0x02 };
	char *fld[SPEC_FIELDS] = { NULL }, *save = NULL, *end;
	struct carp_advert a = {
		.version = CARP_VERSION,
		.type = CARP_TYPE_ADVERTISEMENT,
		.authlen = CARP_AUTHLEN,
	};
	struct carp_hmac h;
	uint8_t vip[16];
	int n = 0, af, rc;
	size_t len;

	for (char *t = strtok_r(spec, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		if (n == SPEC_FIELDS)
			goto bad;
		fld[n++] = t;
	}
	if (n < 7)
		goto bad;
	af = atoi(fld[0]);
	if ((af != 4 && af != 6) || parse_u8(fld[1], &a.vhid) || parse_u8(fld[2], &a.advskew) ||
	    parse_u8(fld[3], &a.advbase) || parse_u8(fld[4], &a.demote))
		goto bad;
	errno = 0;
	a.counter = strtoull(fld[5], &end, 0);
	if (errno != 0 || *end != '\0')
		goto bad;
	if (inet_pton(af == 4 ? AF_INET : AF_INET6, fld[6], vip) != 1)
		goto bad;
	if (af == 4)
		rc = carp_hmac_init(&h, (const uint8_t *)key, strlen(key), a.vhid,
				    (const uint8_t (*)[4])vip, 1, NULL, 0);
	else
		rc = carp_hmac_init(&h, (const uint8_t *)key, strlen(key), a.vhid, NULL, 0,
				    (const uint8_t (*)[16])vip, 1);
	if (rc != 0 || carp_advert_sign(&h, &a) != 0) {
		fprintf(stderr, "carp_pcap: HMAC failed for packet %u\n", seq);
		return 0;
	}
	if (af == 4 && fld[7] != NULL && strcmp(fld[7], "peer") == 0)
		len = carp_build_frame4(f, flen, peer_mac, NULL, src4, peer4, (uint16_t)seq, &a);
	else if (af == 4)
		len = carp_build_frame4(f, flen, NULL, NULL, src4, NULL, (uint16_t)seq, &a);
	else
		len = carp_build_frame6(f, flen, NULL, NULL, src6, NULL, &a);
	if (len == 0) {
		fprintf(stderr, "carp_pcap: cannot build packet %u\n", seq);
		return 0;
	}
	if (fld[7] != NULL && strcmp(fld[7], "badsum") == 0)
		f[len - CARP_HDR_LEN + 7] ^= 0x5a;	/* low byte of the CARP checksum */
	else if (fld[7] != NULL && strcmp(fld[7], "peer") != 0)
		goto bad;
	return len;

bad:
	fprintf(stderr, "carp_pcap: bad spec for packet %u\n", seq);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *key = "";
	pcap_t *p;
	pcap_dumper_t *d;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "k:")) != -1) {
		if (opt != 'k')
			return usage();
		key = optarg;
	}
	if (argc - optind < 2)
		return usage();
	if (strlen(key) > CARP_KEY_MAX) {
		fprintf(stderr, "carp_pcap: key longer than %d bytes\n", CARP_KEY_MAX);
		return 2;
	}
	p = pcap_open_dead(DLT_EN10MB, 65535);
	if (p == NULL)
		return 1;
	d = pcap_dump_open(p, argv[optind]);
	if (d == NULL) {
		fprintf(stderr, "carp_pcap: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	for (int i = optind + 1; i < argc; i++) {
		unsigned int seq = (unsigned int)(i - optind);
		uint8_t f[128];
		struct pcap_pkthdr ph;
		size_t len = build(argv[i], key, seq, f, sizeof(f));

		if (len == 0) {
			rc = 1;
			break;
		}
		memset(&ph, 0, sizeof(ph));
		ph.ts.tv_sec = 1700000000 + seq;
		ph.caplen = ph.len = (bpf_u_int32)len;
		pcap_dump((u_char *)d, &ph, f);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return rc;
}
