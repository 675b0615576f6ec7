/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowgen: new UDP flows at a paced rate on a raw AF_PACKET socket, for the
 * pfsync sync-latency benchmark (tools/bench/pfsync_bench.sh latency).
 *
 *   flowgen IFACE DST_MAC RATE SECONDS [SENDLOG]
 *
 * Sends one 60-byte IPv4/UDP frame per flow, flow i = 0, 1, ... with the
 * 5-tuple of flow_tuple() (distinct for i < 64 * 65536), at RATE frames/s
 * for SECONDS seconds.  Pacing: the number due is RATE x the time elapsed
 * since the start (CLOCK_MONOTONIC); what is due goes out in sendmmsg()
 * batches of at most BATCH frames; when nothing is due the generator
 * sleeps until the next frame is (timer slack 1 ns), so that it does not
 * take a core from the firewall on a small machine.  Bursts are therefore
 * at most one sleep's worth of frames (about 60 us at most on Linux).
 *
 * Prints one line: "flowgen: sent N frames in T s, R frames/s (target
 * RATE), send errors E".  With SENDLOG, writes for each sendmmsg() call a
 * record of three uint64 (host order): first flow index, frames sent,
 * CLOCK_REALTIME ns just after the call returned -- the reference time of
 * those flows' first packets for the end-to-end latency cross-check.
 * Exit status 0 when every frame was sent, 1 otherwise.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define FRAME_LEN 60

struct sendrec {
	uint64_t first;
	uint64_t n;
	uint64_t t_ns;
};

/* Flow i: src 198.18.1.(10 + i % 64), dst 198.19.0.0/16 indexed by i / 64,
 * sport 1024 + i % 60000, dport 9.  Distinct for i < 64 * 65536. */
static void
flow_tuple(uint64_t i, uint32_t *src, uint32_t *dst, uint16_t *sport, uint16_t *dport)
{
	*src = (198u << 24) | (18u << 16) | (1u << 8) | (uint32_t)(10 + i % 64);
	*dst = (198u << 24) | (19u << 16) | (uint32_t)((i / 64) % 65536);
	*sport = (uint16_t)(1024 + i % 60000);
	*dport = 9;
}

static uint16_t
ip_csum(const uint8_t *h)
{
	uint32_t s = 0;

	for (int k = 0; k < 20; k += 2)
		s += (uint32_t)(h[k] << 8 | h[k + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Fills frame f (FRAME_LEN bytes, Ethernet header already there) for flow i. */
static void
build(uint8_t *f, uint64_t i)
{
	uint32_t src, dst;
	uint16_t sport, dport, c;
	uint8_t *ip = f + 14, *udp = ip + 20;

	flow_tuple(i, &src, &dst, &sport, &dport);
	memset(ip, 0, FRAME_LEN - 14);
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = 46;		/* 20 + 8 + 18 */
	ip[5] = 1;		/* id 1 */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	src = htonl(src);
	dst = htonl(dst);
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	c = htons(ip_csum(ip));
	memcpy(ip + 10, &c, 2);
	sport = htons(sport);
	dport = htons(dport);
	memcpy(udp, &sport, 2);
	memcpy(udp + 2, &dport, 2);
	udp[5] = 26;		/* length; checksum 0 (none, RFC 768) */
}

static uint64_t
now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
parse_mac(const char *s, uint8_t *m)
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int k = 0; k < 6; k++)
		m[k] = (uint8_t)b[k];
	return 0;
}

int
main(int argc, char **argv)
{
	static uint8_t frames[BATCH][FRAME_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll;
	uint8_t dmac[6], smac[6] = { 0x02, 0x66, 0x67, 0x65, 0x6e, 0x00 };
	struct sendrec *log = NULL;
	size_t nlog = 0, caplog = 0;
	uint64_t rate, total, sent = 0, errs = 0, t0, t_end, now;
	double secs;
	int fd;

	if (argc < 5 || parse_mac(argv[2], dmac) != 0) {
		fprintf(stderr, "usage: flowgen IFACE DST_MAC RATE SECONDS [SENDLOG]\n");
		return 2;
	}
	rate = strtoull(argv[3], NULL, 10);
	secs = strtod(argv[4], NULL);
	if (rate == 0 || secs <= 0) {
		fprintf(stderr, "flowgen: RATE and SECONDS must be positive\n");
		return 2;
	}
	total = (uint64_t)((double)rate * secs);
	if (total > 64ull * 65536) {
		fprintf(stderr, "flowgen: at most %llu distinct flows\n", 64ull * 65536);
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		perror("flowgen: socket");
		return 2;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		perror("flowgen: bind");
		return 2;
	}
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	for (int k = 0; k < BATCH; k++) {
		memcpy(frames[k], dmac, 6);
		memcpy(frames[k] + 6, smac, 6);
		frames[k][12] = 0x08;
		frames[k][13] = 0x00;
		iov[k].iov_base = frames[k];
		iov[k].iov_len = FRAME_LEN;
		memset(&msgs[k], 0, sizeof(msgs[k]));
		msgs[k].msg_hdr.msg_iov = &iov[k];
		msgs[k].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_ns(CLOCK_MONOTONIC);
	t_end = t0 + (uint64_t)(secs * 1e9) + 2000000000ull;
	while (sent < total) {
		uint64_t due, n;
		int r;

		now = now_ns(CLOCK_MONOTONIC);
		if (now > t_end)
			break;	/* the socket refused for 2 s past the end: give up */
		due = (uint64_t)((double)(now - t0) * (double)rate / 1e9);
		if (due > total)
			due = total;
		if (due <= sent) {
			struct timespec ts = { 0, 0 };
			uint64_t next = t0 + (uint64_t)((double)(sent + 1) * 1e9 / (double)rate);

			ts.tv_nsec = (long)(next > now ? next - now : 1000);
			nanosleep(&ts, NULL);
			continue;
		}
		n = due - sent;
		if (n > BATCH)
			n = BATCH;
		for (uint64_t k = 0; k < n; k++)
			build(frames[k], sent + k);
		r = sendmmsg(fd, msgs, (unsigned int)n, 0);
		if (r <= 0) {
			errs++;
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			perror("flowgen: sendmmsg");
			break;
		}
		if (argc > 5) {
			if (nlog == caplog) {
				caplog = caplog ? caplog * 2 : 65536;
				log = realloc(log, caplog * sizeof(*log));
				if (log == NULL) {
					perror("flowgen: realloc");
					return 2;
				}
			}
			log[nlog].first = sent;
			log[nlog].n = (uint64_t)r;
			log[nlog].t_ns = now_ns(CLOCK_REALTIME);
			nlog++;
		}
		sent += (uint64_t)r;
	}
	now = now_ns(CLOCK_MONOTONIC);
	printf("flowgen: sent %llu frames in %.3f s, %.0f frames/s (target %llu), send errors %llu\n",
	       (unsigned long long)sent, (double)(now - t0) / 1e9,
	       (double)sent * 1e9 / (double)(now - t0), (unsigned long long)rate,
	       (unsigned long long)errs);
	if (argc > 5) {
		FILE *f = fopen(argv[5], "wb");

		if (f == NULL || fwrite(log, sizeof(*log), nlog, f) != nlog || fclose(f) != 0) {
			perror("flowgen: sendlog");
			return 2;
		}
	}
	free(log);
	close(fd);
	return sent == total ? 0 : 1;
}
