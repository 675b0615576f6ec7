/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the config loader (control/config/), second part: function
 * tests for defaults, normalization, key files, pfctl's adaptive timeouts,
 * prefixes, lookups, table files, the position index, the schema tables and
 * the docs.  What must fail and the golden files are in test_config.c.
 *
 * The tests chdir to tests/config so that relative key_file and table file
 * paths ("keys/carp1.key", "tables/good.txt") resolve.
 */
#include <dirent.h>
#include <limits.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "control/config/config.h"
#include "control/config/config_priv.h"
#include "control/config/jsonpos.h"
#include "control/rules/rules.h"
#include "tests/unit/config_util.h"


/* --- function tests --- */

static void
test_defaults(void **state)
{
	static const uint32_t limits[] = {
#define LIM(sym, str, def) def,
		PFLIMIT_LIST(LIM)
#undef LIM
	};
	static const uint32_t timeouts[] = {
#define TMO(sym, str, def) def,
		PFTM_LIST(TMO)
#undef TMO
	};
	struct dpf_config *cfg = load_ok(CFG_LAN(", \"routes\": [{\"prefix\": \"0.0.0.0/0\", "
						 "\"reject\": true}]"));

	(void)state;
	assert_int_equal(cfg->schema_version, 1);
	assert_string_equal(cfg->system.hostname, "dpf");
	assert_false(cfg->system.host_id_set);
	assert_string_equal(cfg->system.control.socket, "/run/dpf/dpf.sock");
	assert_null(cfg->system.control.ro_socket);
	assert_int_equal(cfg->system.control.mode, 0660);
	assert_null(cfg->system.control.group);
	assert_string_equal(cfg->dataplane.eal.lcores, "0-1");
	assert_int_equal(cfg->dataplane.eal.n_args, 0);
	assert_null(cfg->dataplane.eal.file_prefix);
	assert_int_equal(cfg->dataplane.eal.memory_mb, 0);
	assert_false(cfg->dataplane.eal.no_huge);
	assert_false(cfg->dataplane.eal.in_memory);
	assert_int_equal(cfg->dataplane.workers, 1);
	assert_int_equal(cfg->dataplane.idle_sleep_us, 0);
	assert_int_equal(cfg->dataplane.mbufs, 0);
	assert_int_equal(cfg->dataplane.burst, 32);
	assert_int_equal(cfg->dataplane.n_ports, 1);
	assert_string_equal(cfg->dataplane.ports[0].name, "p0");
	assert_string_equal(cfg->dataplane.ports[0].device, "net_null0");
	assert_int_equal(cfg->dataplane.ports[0].mtu, 1500);
	assert_int_equal(cfg->dataplane.ports[0].rx_desc, 1024);
	assert_int_equal(cfg->dataplane.ports[0].tx_desc, 1024);
	assert_int_equal(cfg->n_ifaces, 1);
	assert_int_equal(cfg->ifaces[0].port, 0);
	assert_int_equal(cfg->ifaces[0].vlan, 0);
	assert_int_equal(cfg->ifaces[0].mtu, 1500);
	assert_int_equal(cfg->ifaces[0].n_addrs, 0);
	assert_int_equal(cfg->ifaces[0].n_groups, 0);
	assert_int_equal(cfg->n_routes, 1);
	assert_true(cfg->routes[0].reject);
	assert_false(cfg->routes[0].has_via);
	assert_int_equal(cfg->routes[0].iface, -1);
	assert_int_equal(cfg->n_tables, 0);
	assert_memory_equal(cfg->limits, limits, sizeof(limits));
	assert_memory_equal(cfg->timeouts, timeouts, sizeof(timeouts));
	assert_false(cfg->options.default_pass);
	assert_non_null(cfg->ruleset);
	assert_int_equal(cfg->ruleset->n, 0);
	assert_false(cfg->ruleset->default_pass);
	assert_false(cfg->carp.preempt);
	assert_int_equal(cfg->carp.log, 2);
	assert_int_equal(cfg->carp.n_vhids, 0);
	assert_int_equal(cfg->sync.iface, -1);
	assert_false(cfg->sync.has_peer);
	assert_false(cfg->sync.defer);
	assert_int_equal(cfg->sync.maxupd, 128);
	assert_null(cfg->logging.pflog);
	cfg_free(cfg);
}

static void
test_values(void **state)
{
	static const uint8_t gw6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xfe };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
	struct dpf_config *cfg;
	struct cfg_error err;
	char rbuf[256];

	(void)state;
	cfg = load_ok("{\"schema_version\": 1,"
		      " \"system\": {\"hostname\": \"fw-b\", \"host_id\": \"0xA\","
		      "  \"control\": {\"mode\": \"640\", \"group\": \"wheel\"}},"
		      " \"dataplane\": {\"workers\": 4, \"mbufs\": 1024, \"ports\": ["
		      "  {\"name\": \"p0\", \"device\": \"d0\", \"mtu\": 9000},"
		      "  {\"name\": \"p1\", \"device\": \"d1\", \"rx_desc\": 64}]},"
		      " \"interfaces\": ["
		      "  {\"name\": \"wan\", \"port\": \"p1\", \"vlan\": 4094, \"mtu\": 1400,"
		      "   \"ipv6\": [\"2001:DB8:1:0::2/64\"], \"ipv4\": [\"198.18.2.1/24\"],"
		      "   \"groups\": [\"egress\"]},"
		      "  {\"name\": \"lan\", \"port\": \"p0\"}],"
		      " \"routes\": [{\"prefix\": \"::/0\", \"via\": \"2001:db8::fe\","
		      "  \"interface\": \"lan\"}],"
		      " \"tables\": {\"t\": [\"10.0.0.0/8\", \"2001:db8::\"],"
		      "  \"f\": {\"file\": \"tables/blocklist.txt\"}},"
		      " \"options\": {\"default\": \"pass\"},"
		      " \"rules\": [\"pass all\",\n  {\"action\": \"block\", \"log\": true}],"
		      " \"carp\": {\"vhids\": [{\"vhid\": 9, \"interface\": \"lan\","
		      "  \"pass\": \"secret\", \"addresses\": [\"198.18.1.1/24\", \"2001:db8::1\"],"
		      "  \"peer\": \"198.18.1.3\"}]},"
		      " \"sync\": {\"interface\": \"wan\", \"peer\": \"198.18.2.2\","
		      "  \"defer\": true,"
		      "  \"maxupd\": 0},"
		      " \"logging\": {\"pflog\": \"/tmp/p.pcap\"}}");
	assert_true(cfg->system.host_id_set);
	assert_int_equal(cfg->system.host_id, 10);
	assert_int_equal(cfg->system.control.mode, 0640);
	assert_string_equal(cfg->system.control.group, "wheel");
	assert_int_equal(cfg->dataplane.workers, 4);
	assert_int_equal(cfg->dataplane.mbufs, 1024);
	assert_int_equal(cfg->dataplane.ports[1].rx_desc, 64);
	assert_int_equal(cfg_port_find(cfg, "p1"), 1);
	assert_int_equal(cfg_port_find(cfg, "p2"), -1);
	assert_int_equal(cfg_iface_find(cfg, "lan"), 1);
	assert_int_equal(cfg_iface_find(cfg, "dmz"), -1);
	/* wan: port p1, mtu below the port's; "ipv4" comes first whatever the key order. */
	assert_int_equal(cfg->ifaces[0].port, 1);
	assert_int_equal(cfg->ifaces[0].vlan, 4094);
	assert_int_equal(cfg->ifaces[0].mtu, 1400);
	assert_int_equal(cfg->ifaces[0].n_addrs, 2);
	assert_int_equal(cfg->ifaces[0].addrs[0].af, 4);
	assert_int_equal(cfg->ifaces[0].addrs[0].plen, 24);
	assert_memory_equal(cfg->ifaces[0].addrs[0].addr, ((uint8_t[]){ 198, 18, 2, 1 }), 4);
	assert_int_equal(cfg->ifaces[0].addrs[1].af, 6);
	assert_int_equal(cfg->ifaces[0].addrs[1].plen, 64);
	assert_memory_equal(cfg->ifaces[0].addrs[1].addr, a6, 16);
	assert_int_equal(cfg->ifaces[0].n_groups, 1);
	assert_string_equal(cfg->ifaces[0].groups[0], "egress");
	/* lan inherits p0's jumbo MTU. */
	assert_int_equal(cfg->ifaces[1].mtu, 9000);
	assert_int_equal(cfg->routes[0].dst.af, 6);
	assert_int_equal(cfg->routes[0].dst.plen, 0);
	assert_true(cfg->routes[0].has_via);
	assert_memory_equal(cfg->routes[0].via, gw6, 16);
	assert_int_equal(cfg->routes[0].iface, 1);
	assert_int_equal(cfg->n_tables, 2);
	assert_string_equal(cfg->tables[0].name, "t");
	assert_int_equal(cfg->tables[0].n, 2);
	assert_int_equal(cfg->tables[0].entries[1].plen, 128);
	assert_null(cfg->tables[0].file);
	assert_string_equal(cfg->tables[1].name, "f");
	assert_string_equal(cfg->tables[1].file, "tables/blocklist.txt");
	/* The file's two entries (tests/config/tables/blocklist.txt). */
	assert_int_equal(cfg->tables[1].n, 2);
	assert_int_equal(cfg->tables[1].entries[0].plen, 32);
	assert_int_equal(cfg->tables[1].entries[1].af, 6);
	assert_int_equal(cfg->tables[1].entries[1].plen, 48);
	assert_true(cfg->options.default_pass);
	/*
	 * Rules: parsed at load, strings and objects alike, into the ruleset the
	 * printer and the plan use (ids numbered, options.default applied); each
	 * rule's position is found through the kept index.
	 */
	assert_int_equal(cfg->ruleset->n, 2);
	assert_true(cfg->ruleset->default_pass);
	assert_null(cfg->ruleset->acl);
	rules_print(&cfg->ruleset->rules[0], rbuf, sizeof(rbuf));
	assert_string_equal(rbuf, "pass all flags S/SA keep state");
	assert_int_equal(cfg->ruleset->rules[0].id, 1);
	rules_print(&cfg->ruleset->rules[1], rbuf, sizeof(rbuf));
	assert_string_equal(rbuf, "block log all");
	assert_int_equal(cfg->ruleset->rules[1].id, 2);
	assert_int_equal(cfg_fail_at(cfg, &err, "rules[0]", "m"), -1);
	assert_string_equal(err.path, "rules[0]");
	assert_int_equal(err.line, 1);
	assert_int_equal(cfg_fail_at(cfg, &err, "rules[1]", "m %d", 7), -1);
	assert_string_equal(err.path, "rules[1]");
	assert_int_equal(err.line, 2);
	assert_int_equal(err.column, 3);
	assert_string_equal(err.msg, "m 7");
	assert_int_equal(cfg->carp.vhids[0].vhid, 9);
	assert_int_equal(cfg->carp.vhids[0].iface, 1);
	assert_int_equal(cfg->carp.vhids[0].advbase, 1);
	assert_int_equal(cfg->carp.vhids[0].key_len, 6);
	assert_memory_equal(cfg->carp.vhids[0].key, "secret\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	assert_null(cfg->carp.vhids[0].key_file);
	assert_int_equal(cfg->carp.vhids[0].n_addrs, 2);
	assert_int_equal(cfg->carp.vhids[0].addrs[1].plen, 128);
	assert_true(cfg->carp.vhids[0].has_peer);
	assert_memory_equal(cfg->carp.vhids[0].peer.addr, ((uint8_t[]){ 198, 18, 1, 3 }), 4);
	assert_int_equal(cfg->sync.iface, 0);
	assert_true(cfg->sync.has_peer);
	assert_true(cfg->sync.defer);
	assert_int_equal(cfg->sync.maxupd, 0);
	assert_string_equal(cfg->logging.pflog, "/tmp/p.pcap");
	cfg_free(cfg);
}

/* [OpenBSD pfctl_load_options]: states N without adaptive values -> N/10*6, N/10*12. */
static void
test_adaptive_from_states(void **state)
{
	static const struct {
		const char *limits, *timeouts;
		uint32_t start, end;
	} v[] = {
		{ "{\"states\": 1000000}", "{}", 600000, 1200000 },
		{ "{\"states\": 12345}", "{}", 7404, 14808 },
		{ "{\"states\": 9}", "{}", 0, 0 },
		/* pfctl would wrap at 32 bits; the end saturates instead. */
		{ "{\"states\": 4294967295}", "{}", 2576980374u, 4294967295u },
		/* Either adaptive value given: neither is derived. */
		{ "{\"states\": 1000000}", "{\"adaptive.start\": 5}", 5, 120000 },
		{ "{\"states\": 1000000}", "{\"adaptive.end\": 7}", 60000, 7 },
		/* No states limit: pf's defaults. */
		{ "{\"frags\": 10}", "{}", 60000, 120000 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char text[512];
		struct dpf_config *cfg;

		snprintf(text, sizeof(text), CFG(", \"limits\": %s, \"timeouts\": %s"), v[i].limits,
			 v[i].timeouts);
		cfg = load_ok(text);
		assert_int_equal(cfg->timeouts[PFTM_ADAPTIVE_START], v[i].start);
		assert_int_equal(cfg->timeouts[PFTM_ADAPTIVE_END], v[i].end);
		cfg_free(cfg);
	}
}

static void
test_host_id_and_mode_forms(void **state)
{
	static const struct {
		const char *system;
		uint32_t host_id;
		unsigned int mode;
		const char *printed_id, *printed_mode;
	} v[] = {
		{ "{\"host_id\": \"0x0a0b0c0d\"}", 0x0a0b0c0d, 0660, "0x0a0b0c0d", "0660" },
		{ "{\"host_id\": \"0xFFFFFFFF\", \"control\": {\"mode\": \"0\"}}", 0xffffffff, 0,
		  "0xffffffff", "0000" },
		{ "{\"host_id\": 4294967295, \"control\": {\"mode\": 511}}", 0xffffffff, 0777,
		  "0xffffffff", "0777" },
		{ "{\"host_id\": 1, \"control\": {\"mode\": \"600\"}}", 1, 0600, "0x00000001",
		  "0600" },
		{ "{\"host_id\": \"0x1\", \"control\": {\"mode\": \"0777\"}}", 1, 0777,
		  "0x00000001", "0777" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char text[512], want[64], *out;
		struct dpf_config *cfg;

		snprintf(text, sizeof(text), CFG(", \"system\": %s"), v[i].system);
		cfg = load_ok(text);
		assert_int_equal(cfg->system.host_id, v[i].host_id);
		assert_int_equal(cfg->system.control.mode, v[i].mode);
		out = print_str(cfg);
		snprintf(want, sizeof(want), "\"host_id\": \"%s\",", v[i].printed_id);
		assert_non_null(strstr(out, want));
		snprintf(want, sizeof(want), "\"mode\": \"%s\",", v[i].printed_mode);
		assert_non_null(strstr(out, want));
		free(out);
		cfg_free(cfg);
	}
}

static void
test_prefix_parse_format(void **state)
{
	static const struct {
		const char *in;
		int rc;
		uint8_t af, plen;
		const char *out;	/* formatted with length */
	} v[] = {
		{ "198.18.1.2/24", 0, 4, 24, "198.18.1.2/24" },
		{ "0.0.0.0/0", 0, 4, 0, "0.0.0.0/0" },
		{ "10.0.0.1", 0, 4, 32, "10.0.0.1/32" },
		{ "2001:db8:0:0::1/64", 0, 6, 64, "2001:db8::1/64" },
		{ "2001:DB8::A/128", 0, 6, 128, "2001:db8::a/128" },
		{ "::", 0, 6, 128, "::/128" },
		{ "::ffff:198.18.0.1/96", 0, 6, 96, "::ffff:198.18.0.1/96" },
		{ "1.2.3.4/33", -1, 0, 0, NULL },
		{ "1.2.3.4/", -1, 0, 0, NULL },
		{ "1.2.3.4/+8", -1, 0, 0, NULL },
		{ "1.2.3.4/0008", -1, 0, 0, NULL },
		{ "1.2.3/8", -1, 0, 0, NULL },
		{ "01.2.3.4", -1, 0, 0, NULL },
		{ "/24", -1, 0, 0, NULL },
		{ "", -1, 0, 0, NULL },
		{ "2001:db8::/129", -1, 0, 0, NULL },
		{ "fe80::1%lo/64", -1, 0, 0, NULL },
		{ "198.18.1.2 /24", -1, 0, 0, NULL },
		{ "2001:db8:0:0:0:0:0:0:1/64", -1, 0, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct cfg_prefix p;
		char buf[64], bare[64];

		assert_int_equal(cfg_prefix_parse(v[i].in, &p), v[i].rc);
		if (v[i].rc != 0)
			continue;
		assert_int_equal(p.af, v[i].af);
		assert_int_equal(p.plen, v[i].plen);
		cfg_prefix_format(&p, true, buf, sizeof(buf));
		assert_string_equal(buf, v[i].out);
		cfg_prefix_format(&p, false, bare, sizeof(bare));
		assert_int_equal(strncmp(buf, bare, strlen(bare)), 0);
		assert_int_equal(buf[strlen(bare)], '/');
	}
}

static void
test_error_format(void **state)
{
	struct cfg_error e = { .path = "interfaces[1].vlan", .line = 12, .column = 17,
			       .msg = "5000 is out of range 1..4094" };
	char buf[CFG_ERR_MAX + 256];

	(void)state;
	cfg_error_format(&e, "dpf.json", buf, sizeof(buf));
	assert_string_equal(buf,
			    "dpf.json:12:17: interfaces[1].vlan: 5000 is out of range 1..4094");
	e.path[0] = '\0';
	cfg_error_format(&e, "dpf.json", buf, sizeof(buf));
	assert_string_equal(buf, "dpf.json:12:17: 5000 is out of range 1..4094");
	e.line = 0;
	cfg_error_format(&e, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "-: 5000 is out of range 1..4094");
	cfg_error_format(&e, "dpf.json", buf, 6);
	assert_string_equal(buf, "dpf.j");
}

static void
test_load_file_errors(void **state)
{
	struct dpf_config *cfg = (struct dpf_config *)1;
	struct cfg_error err;
	char buf[CFG_ERR_MAX + 256];

	(void)state;
	assert_int_equal(cfg_load_file("good/no-such-file.json", &cfg, &err), -1);
	assert_null(cfg);
	assert_int_equal(err.line, 0);
	cfg_error_format(&err, "no-such-file.json", buf, sizeof(buf));
	assert_string_equal(buf, "no-such-file.json: cannot open: No such file or directory");
	/* A directory opens but cannot be read. */
	assert_int_equal(cfg_load_file("good", &cfg, &err), -1);
	assert_null(cfg);
	assert_non_null(strstr(err.msg, "cannot read"));
}

static void
write_tmp(char *path, const void *data, size_t len)
{
	int fd;

	strcpy(path, "/tmp/dpf-test-key-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
test_key_files(void **state)
{
	static const struct {
		const char *what;
		const char *data;
		size_t len;
		int rc;
		const char *key;	/* expected key, or the end of the error message */
	} v[] = {
		{ "first line, newline stripped", "abc\nsecond line\n", 16, 0, "abc" },
		{ "CRLF stripped", "abc\r\n", 5, 0, "abc" },
		{ "no trailing newline", "abc", 3, 0, "abc" },
		{ "empty file: empty key", "", 0, 0, "" },
		{ "19 bytes", "0123456789012345678\n", 20, 0, "0123456789012345678" },
		{ "20 bytes", "01234567890123456789\n", 21, -1,
		  ": the key is 20 bytes long, at most 19" },
		{ "NUL in the key", "ab\0cd\n", 6, -1, ": the key holds a NUL byte" },
		{ "300 bytes without newline",
		  "0123456789012345678901234567890123456789012345678901234567890123456789"
		  "0123456789012345678901234567890123456789012345678901234567890123456789"
		  "0123456789012345678901234567890123456789012345678901234567890123456789"
		  "0123456789012345678901234567890123456789012345678901234567890123456789"
		  "01234567890123456789012345678", 300, -1,
		  ": the key is over 256 bytes long, at most 19" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char path[64], text[1024];
		struct dpf_config *cfg = NULL;
		struct cfg_error err;
		int rc;

		write_tmp(path, v[i].data, v[i].len);
		snprintf(text, sizeof(text), VHID("\"key_file\": \"%s\""), path);
		rc = cfg_load_string(text, &cfg, &err);
		unlink(path);
		if (rc != v[i].rc)
			print_error("%s: %s\n", v[i].what, err.msg);
		assert_int_equal(rc, v[i].rc);
		if (rc != 0) {
			size_t ml = strlen(err.msg), kl = strlen(v[i].key);

			assert_string_equal(err.path, "carp.vhids[0].key_file");
			assert_true(ml >= kl);
			assert_string_equal(err.msg + ml - kl, v[i].key);
			continue;
		}
		assert_int_equal(cfg->carp.vhids[0].key_len, strlen(v[i].key));
		assert_memory_equal(cfg->carp.vhids[0].key, v[i].key, strlen(v[i].key));
		for (size_t b = strlen(v[i].key); b < sizeof(cfg->carp.vhids[0].key); b++)
			assert_int_equal(cfg->carp.vhids[0].key[b], 0);
		assert_string_equal(cfg->carp.vhids[0].key_file, path);
		cfg_free(cfg);
	}
}

/* sync.key_file: hex or raw, 16 to 64 bytes, a file only its owner may read. */
static void
test_sync_key_files(void **state)
{
	static const char hex64[] =
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		"202122232425262728292A2B2C2D2E2F303132333435363738393a3b3c3d3e3f\n";
	static const struct {
		const char *what;
		const char *data;
		unsigned int mode;
		int rc;
		size_t key_len;
		const char *key;	/* expected key bytes, or the end of the error message */
	} v[] = {
		{ "hex, 16 bytes", "00112233445566778899aabbccddeeff\n", 0600, 0, 16,
		  "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff" },
		{ "hex, 64 bytes, mixed case", hex64, 0400, 0, 64, NULL },
		{ "raw, 19 bytes", "not hex: twenty byt\n", 0600, 0, 19, "not hex: twenty byt" },
		{ "raw, 16 bytes", "0123456789abcdeZ", 0600, 0, 16, "0123456789abcdeZ" },
		{ "raw, 15 bytes", "0123456789abcdZ\n", 0600, -1, 0,
		  ": the key is 15 bytes; it must be 16 to 64 bytes (or 32 to 128 hex digits)" },
		{ "hex, 15 bytes", "00112233445566778899aabbccddee\n", 0600, -1, 0,
		  ": the key is 15 bytes; it must be 16 to 64 bytes (or 32 to 128 hex digits)" },
		{ "raw, 65 bytes",
		  "0123456789012345678901234567890123456789012345678901234567890123x\n", 0600,
		  -1, 0, ": the key is 65 bytes; it must be 16 to 64 bytes (or 32 to 128 hex "
		  "digits)" },
		{ "hex, odd", "00112233445566778899aabbccddeeff0\n", 0600, -1, 0,
		  ": an odd number of hex digits" },
		{ "group-readable", "00112233445566778899aabbccddeeff\n", 0640, -1, 0,
		  " is accessible by group or others (mode 0640): chmod 600 it" },
		{ "world-readable", "00112233445566778899aabbccddeeff\n", 0604, -1, 0,
		  " is accessible by group or others (mode 0604): chmod 600 it" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char path[64], text[1024];
		struct dpf_config *cfg = NULL;
		struct cfg_error err;
		int rc;

		write_tmp(path, v[i].data, strlen(v[i].data));
		assert_int_equal(chmod(path, v[i].mode), 0);
		snprintf(text, sizeof(text), CFG_LAN(", \"sync\": {\"interface\": \"lan\", "
						     "\"key_file\": \"%s\"}"), path);
		rc = cfg_load_string(text, &cfg, &err);
		unlink(path);
		if (rc != v[i].rc)
			print_error("%s: %s\n", v[i].what, rc != 0 ? err.msg : "loaded");
		assert_int_equal(rc, v[i].rc);
		if (rc != 0) {
			size_t ml = strlen(err.msg), kl = strlen(v[i].key);

			assert_string_equal(err.path, "sync.key_file");
			if (ml < kl || strcmp(err.msg + ml - kl, v[i].key) != 0)
				print_error("%s: %s\n", v[i].what, err.msg);
			assert_true(ml >= kl);
			assert_string_equal(err.msg + ml - kl, v[i].key);
			continue;
		}
		assert_int_equal(cfg->sync.key_len, v[i].key_len);
		if (v[i].key != NULL)
			assert_memory_equal(cfg->sync.key, v[i].key, v[i].key_len);
		else
			for (size_t b = 0; b < 64; b++)
				assert_int_equal(cfg->sync.key[b], b);
		assert_string_equal(cfg->sync.key_file, path);
		cfg_free(cfg);
	}
	/* A key without a sync interface is a mistake, not ignored. */
	{
		struct dpf_config *cfg = NULL;
		struct cfg_error err;

		assert_int_equal(cfg_load_string(CFG_LAN(", \"sync\": {\"key_file\": \"/x\"}"),
						 &cfg, &err), -1);
		assert_string_equal(err.path, "sync.key_file");
		assert_string_equal(err.msg, "a sync key needs sync.interface");
	}
}

/* The entries of table "t" of cfg, formatted and joined by spaces. */
static void
table_entries_str(const struct dpf_config *cfg, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < cfg->n_tables; i++) {
		if (strcmp(cfg->tables[i].name, "t") != 0)
			continue;
		for (unsigned int k = 0; k < cfg->tables[i].n && at < len; k++) {
			char p[64];

			cfg_prefix_format(&cfg->tables[i].entries[k], true, p, sizeof(p));
			at += (size_t)snprintf(buf + at, len - at, "%s%s", k ? " " : "", p);
		}
	}
}

/* A config with inline table "pre" (one entry), then table "t" from file path. */
#define TABLE_FILE_CFG \
	CFG_LAN(", \"tables\": {\"pre\": [\"10.9.0.0/16\"], \"t\": {\"file\": \"%s\"}}, " \
		"\"limits\": {\"table-entries\": %u}, " \
		"\"rules\": [\"block in quick on lan from <t>\"]")

/* Loads TABLE_FILE_CFG with path and limit; on error checks where it points. */
static int
load_table_file_cfg(unsigned int limit, const char *path, struct dpf_config **cfg,
		    struct cfg_error *err)
{
	char text[1024];
	int rc, line, col;

	snprintf(text, sizeof(text), TABLE_FILE_CFG, path, limit);
	*cfg = NULL;
	rc = cfg_load_string(text, cfg, err);
	if (rc != 0) {
		/* At the "file" value, whatever the file's own line and column. */
		text_pos(text, (size_t)(strstr(text, path) - 1 - text), &line, &col);
		assert_string_equal(err->path, "tables.t.file");
		assert_int_equal(err->line, line);
		assert_int_equal(err->column, col);
	}
	return rc;
}

/*
 * Table files in pfctl's format: the entries are the inline form's, and an
 * error is "PATH:LINE:COL: MESSAGE" at the config's "file" value.
 */
/* A string literal and its length, NULs included. */
#define S(lit) lit, sizeof(lit) - 1

static void
test_table_files(void **state)
{
	static const struct {
		const char *what;
		const char *data;
		size_t len;
		int rc;
		const char *want;	/* rc 0: the entries; -1: the message after "PATH:" */
	} v[] = {
		{ "v4 and v6, comments, blank lines, CRLF, two on a line",
		  S("# comment\n\n  10.1.0.0/16  # trailing\r\n2001:db8::/32\n"
		    "\t192.0.2.7 198.51.100.0/24\n   \n# end"), 0,
		  "10.1.0.0/16 2001:db8::/32 192.0.2.7/32 198.51.100.0/24" },
		{ "empty file", S(""), 0, "" },
		{ "comments only", S("# a\n\n  # b\n#"), 0, "" },
		{ "no trailing newline", S("10.0.0.1"), 0, "10.0.0.1/32" },
		{ "bare IPv6 is /128", S("2001:DB8::1\n"), 0, "2001:db8::1/128" },
		{ "bad address on line 3", S("10.0.0.0/8\n# two\n  10.0.0.256/32\n"), -1,
		  "3:3: \"10.0.0.256/32\" is not an IPv4 or IPv6 address or prefix" },
		{ "host bits set", S("10.0.0.0/8 10.1.2.3/16\n"), -1,
		  "1:12: host bits set in 10.1.2.3/16 (the network is 10.1.0.0/16)" },
		{ "prefix length", S("::/129\n"), -1,
		  "1:1: \"::/129\": the prefix length must be 0..128" },
		{ "'#' inside an entry", S("10.0.0.1#x\n"), -1,
		  "1:1: \"10.0.0.1#x\" is not an IPv4 or IPv6 address or prefix" },
		{ "negated entry", S("  !10.0.0.0/8\n"), -1,
		  "1:3: \"!10.0.0.0/8\": negated entries are not supported" },
		{ "host name", S("example.com\n"), -1,
		  "1:1: \"example.com\" is not an IPv4 or IPv6 address or prefix" },
		{ "NUL byte", S("10.0.0.1\n10.0\0.0.2\n"), -1, "2:5: a NUL byte" },
		{ "bad IPv6 after CRLF", S("10.0.0.1\r\n 300::1::2\r\n"), -1,
		  "2:2: \"300::1::2\" is not an IPv4 or IPv6 address or prefix" },
	};
	struct dpf_config *cfg;
	struct cfg_error err;
	char path[64], got[512], want[600];
	struct rules_env env;
	struct rules_error rerr;
	struct dpf_rule r;
	char *big;
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc;

		write_tmp(path, v[i].data, v[i].len);
		rc = load_table_file_cfg(200000, path, &cfg, &err);
		unlink(path);
		if (rc != v[i].rc)
			print_error("%s: %s\n", v[i].what, rc ? err.msg : "loaded");
		assert_int_equal(rc, v[i].rc);
		if (rc != 0) {
			snprintf(want, sizeof(want), "%s:%s", path, v[i].want);
			assert_string_equal(err.msg, want);
			continue;
		}
		table_entries_str(cfg, got, sizeof(got));
		assert_string_equal(got, v[i].want);
		assert_string_equal(cfg->tables[1].file, path);
		cfg_free(cfg);
	}

	/* A rule using the table gets the file's entries, as with an inline table. */
	write_tmp(path, v[0].data, v[0].len);
	assert_int_equal(load_table_file_cfg(5, path, &cfg, &err), 0);
	assert_int_equal(cfg_rules_env(cfg, &env), 0);
	assert_int_equal(env.n_tables, 2);
	assert_string_equal(env.tables[1].name, "t");
	assert_int_equal(env.tables[1].n, 4);
	assert_int_equal(rules_parse_string("block in quick from <t>", &env, &r, &rerr), 0);
	assert_int_equal(r.src.n_pfx, 4);
	rules_rule_clear(&r);
	rules_env_free(&env);
	cfg_free(cfg);

	/* File and inline entries count together against limits.table-entries. */
	assert_int_equal(load_table_file_cfg(4, path, &cfg, &err), -1);
	snprintf(want, sizeof(want), "table file \"%s\": 4 entries, 5 in all tables so far, "
		 "above limits.table-entries 4", path);
	assert_string_equal(err.msg, want);

	/* Missing file, and a directory. */
	unlink(path);
	assert_int_equal(load_table_file_cfg(5, path, &cfg, &err), -1);
	snprintf(want, sizeof(want), "table file \"%s\": No such file or directory", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(load_table_file_cfg(5, "/tmp", &cfg, &err), -1);
	assert_string_equal(err.msg, "table file \"/tmp\": not a regular file");

	/* 20000 entries: the array grows; the last one is the file's last. */
	big = malloc(20000 * 20);
	assert_non_null(big);
	for (unsigned int i = 0; i < 20000; i++)
		len += (size_t)sprintf(big + len, "10.%u.%u.0/24\n", i / 256, i % 256);
	write_tmp(path, big, len);
	free(big);
	assert_int_equal(load_table_file_cfg(20001, path, &cfg, &err), 0);
	unlink(path);
	assert_int_equal(cfg->tables[1].n, 20000);
	cfg_prefix_format(&cfg->tables[1].entries[19999], true, got, sizeof(got));
	assert_string_equal(got, "10.78.31.0/24");
	cfg_free(cfg);
}

/* null is "absent" for optional keys, and such configs print null back. */
static void
test_null_means_absent(void **state)
{
	struct dpf_config *cfg;

	(void)state;
	cfg = load_ok(CFG_LAN(", \"system\": {\"host_id\": null}, \"routes\": [{\"prefix\": "
			      "\"10.0.0.0/8\", \"via\": null, \"interface\": \"lan\"}], "
			      "\"sync\": {\"interface\": null, \"peer\": null}, "
			      "\"logging\": {\"pflog\": null}"));
	assert_false(cfg->system.host_id_set);
	assert_false(cfg->routes[0].has_via);
	assert_int_equal(cfg->sync.iface, -1);
	assert_null(cfg->logging.pflog);
	cfg_free(cfg);
}

static void
check_jpos(const struct jpos *jp, uint32_t node, const char *path, int line, int col)
{
	char buf[128];

	assert_int_not_equal(node, JPOS_NONE);
	jpos_path(jp, node, buf, sizeof(buf));
	assert_string_equal(buf, path);
	assert_int_equal(jp->nodes[node].line, line);
	assert_int_equal(jp->nodes[node].column, col);
}

static void
test_jsonpos(void **state)
{
	static const char text[] = "{\n  \"a\": [1, {\"b\": \"x\\\"]\"}],\n"
				   "  \"c\\u00e9\": true,\r\n"
				   "  \"\\ud83d\\ude00\": {\"\\u0001\": null}\n}";
	static const char *const malformed[] = {
		"", "{\"a\": }", "[1,", "\"open", "{\"a\" 1}", "{} x", "{\"a\\u0000\": 1}",
		"{\"a\\ud800\": 1}", "{\"a\\q\": 1}", "[1 2]", "{\"a\": [}", "]", "{\"a\":1,}",
	};
	const char *text_utf8, *text_dup = "{\"a\": {\"b\": 1, \"b\": 2}, \"a\": 3}";
	struct jpos jp;
	uint32_t a, el;
	char buf[8];

	(void)state;
	assert_int_equal(jpos_build(&jp, text, strlen(text)), 0);
	check_jpos(&jp, JPOS_ROOT, "", 1, 1);
	a = jpos_member(&jp, JPOS_ROOT, "a");
	check_jpos(&jp, a, "a", 2, 8);
	assert_int_equal(jp.nodes[a].key_line, 2);
	assert_int_equal(jp.nodes[a].key_column, 3);
	check_jpos(&jp, jpos_element(&jp, a, 0), "a[0]", 2, 9);
	el = jpos_element(&jp, a, 1);
	check_jpos(&jp, el, "a[1]", 2, 12);
	check_jpos(&jp, jpos_member(&jp, el, "b"), "a[1].b", 2, 18);
	assert_int_equal(jpos_element(&jp, a, 2), JPOS_NONE);
	assert_int_equal(jpos_member(&jp, a, "b"), JPOS_NONE);
	assert_int_equal(jpos_element(&jp, JPOS_ROOT, 0), JPOS_NONE);
	/* Escaped keys are found by their decoded form; \r is a column, \n a line. */
	check_jpos(&jp, jpos_member(&jp, JPOS_ROOT, "c\xc3\xa9"), "c\xc3\xa9", 3, 14);
	el = jpos_member(&jp, JPOS_ROOT, "\xf0\x9f\x98\x80");
	check_jpos(&jp, el, "\xf0\x9f\x98\x80", 4, 19);
	check_jpos(&jp, jpos_member(&jp, el, "\x01"), "\xf0\x9f\x98\x80.\\x01", 4, 30);
	assert_string_equal(jpos_key(&jp, el), "\xf0\x9f\x98\x80");
	assert_null(jpos_key(&jp, JPOS_ROOT));
	/* Truncation keeps a terminated prefix. */
	jpos_path(&jp, jpos_member(&jp, el, "\x01"), buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	jpos_free(&jp);

	/* Columns count characters: é is one column, as Jansson counts. */
	text_utf8 = "{\"\xc3\xa9\": 1, \"x\": 2}";
	assert_int_equal(jpos_build(&jp, text_utf8, strlen(text_utf8)), 0);
	el = jpos_member(&jp, JPOS_ROOT, "x");
	check_jpos(&jp, el, "x", 1, 15);
	assert_int_equal(jp.nodes[el].key_column, 10);
	jpos_free(&jp);

	/* The first repeated key stops the scan and is reported. */
	assert_int_equal(jpos_build(&jp, text_dup, strlen(text_dup)), 1);
	assert_int_not_equal(jp.dup, JPOS_NONE);
	jpos_path(&jp, jp.dup, buf, sizeof(buf));
	assert_string_equal(buf, "a.b");
	assert_int_equal(jp.nodes[jp.dup].key_line, 1);
	assert_int_equal(jp.nodes[jp.dup].key_column, 16);
	jpos_free(&jp);

	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		assert_int_equal(jpos_build(&jp, malformed[i], strlen(malformed[i])), -1);
		jpos_free(&jp);
	}
}

/* Many nodes: the hash table grows and every element stays findable. */
static void
test_jsonpos_large(void **state)
{
	size_t n = 20000, len = 0;
	char *text = malloc(n * 12 + 16);
	struct jpos jp;

	(void)state;
	assert_non_null(text);
	text[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%s{\"k\":%zu}", i > 0 ? ",\n" : "", i % 10);
	text[len++] = ']';
	assert_int_equal(jpos_build(&jp, text, len), 0);
	for (size_t i = 0; i < n; i += 997) {
		uint32_t e = jpos_element(&jp, JPOS_ROOT, i);
		uint32_t k = jpos_member(&jp, e, "k");

		assert_int_not_equal(e, JPOS_NONE);
		assert_int_equal(jp.nodes[e].line, (int)i + 1);
		assert_int_equal(jp.nodes[e].column, i == 0 ? 2 : 1);
		assert_int_equal(jp.nodes[k].key_line, (int)i + 1);
	}
	jpos_free(&jp);
	free(text);
}

/* The tables are data the walker trusts: check what it assumes. */
static void
check_schema(const struct cfg_obj *o, unsigned int depth)
{
	assert_true(depth < 8);
	assert_non_null(o->what);
	for (unsigned int i = 0; i < o->n_keys; i++) {
		const struct cfg_key *k = &o->keys[i];

		assert_non_null(k->name);
		for (unsigned int j = 0; j < i; j++)
			assert_string_not_equal(o->keys[j].name, k->name);
		assert_false((k->flags & CF_REQUIRED) && (k->flags & CF_NULL));
		switch (k->kind) {
		case CK_UINT:
			assert_true(k->size == 1 || k->size == 2 || k->size == 4);
			assert_true(k->max < (1ull << (8 * k->size)));
			assert_true(k->min <= k->max);
			/* A CF_NULL default is printed as null, so it must not be a valid value. */
			if (k->flags & CF_NULL)
				assert_true(k->def < k->min || k->def > k->max);
			else if (k->load == NULL && !(k->flags & CF_REQUIRED))
				assert_true(k->def >= k->min && k->def <= k->max);
			break;
		case CK_OBJ:
		case CK_ARR:
			assert_non_null(k->sub);
			check_schema(k->sub, depth + 1);
			break;
		case CK_CUSTOM:
			assert_non_null(k->load);
			assert_non_null(k->print);
			break;
		default:
			break;
		}
	}
}

static void
test_schema_tables(void **state)
{
	(void)state;
	check_schema(&cfg_schema, 0);
}

/* Every key of every table is documented as `name` in docs/config.md. */
static void
check_documented(const char *doc, const struct cfg_obj *o)
{
	for (unsigned int i = 0; i < o->n_keys; i++) {
		char want[64];

		snprintf(want, sizeof(want), "`%s`", o->keys[i].name);
		if (strstr(doc, want) == NULL)
			print_error("docs/config.md does not mention %s (%s)\n", want, o->what);
		assert_non_null(strstr(doc, want));
		if (o->keys[i].sub != NULL)
			check_documented(doc, o->keys[i].sub);
	}
}

static void
test_docs_cover_schema(void **state)
{
	char path[PATH_MAX + 32];
	char *doc;

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/config.md", srcdir);
	doc = read_file(path);
	check_documented(doc, &cfg_schema);
	/* Tables' {"file": ...} form and the custom keys are listed too. */
	assert_non_null(strstr(doc, "`file`"));
	free(doc);
}


int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_adaptive_from_states),
		cmocka_unit_test(test_host_id_and_mode_forms),
		cmocka_unit_test(test_prefix_parse_format),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_sync_key_files),
		cmocka_unit_test(test_table_files),
		cmocka_unit_test(test_null_means_absent),
		cmocka_unit_test(test_jsonpos),
		cmocka_unit_test(test_jsonpos_large),
		cmocka_unit_test(test_schema_tables),
		cmocka_unit_test(test_docs_cover_schema),
	};

	if (cfg_test_chdir() != 0)
		return 1;
	return cmocka_run_group_tests_name("config_values", tests, NULL, NULL);
}
