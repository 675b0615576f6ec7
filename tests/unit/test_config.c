/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the config loader (control/config/: config, schema, printing).
 *
 *  - bad_cases[]: one config per schema rule, each with the expected path,
 *    message and position.  The expected line and column are not written
 *    down: they are computed from a marker, the text at which the error must
 *    point (the offending value, the unknown or repeated key, or the object
 *    missing a key), so a test fails if the loader points anywhere else.
 *  - Function tests for defaults, normalization, key files, pfctl's
 *    adaptive timeouts, prefixes, lookups, the position index, the schema
 *    tables and the docs.
 *  - Golden files under tests/config/ (found through DPF_SRCDIR):
 *    good/NAME.json must print exactly good/NAME.out, and the printed text
 *    must load and print the same again (fixed point); bad/NAME.json must
 *    fail with exactly the line in bad/NAME.err.  The .out and .err files
 *    were produced by the code under test and then reviewed by hand against
 *    their inputs; that review is what makes them expectations, so change
 *    them only with the same care.
 *  - Load/free loops over every golden file, checking that the heap in use
 *    returns to the same size (and LeakSanitizer in the ASan build).
 *
 * The tests chdir to tests/config so that relative key_file and table file
 * paths in the golden inputs ("keys/carp1.key", "tables/good.txt") resolve.
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

static char srcdir[PATH_MAX];

/* --- helpers --- */

/* Line and column (1-based, counting characters as Jansson does) of byte off. */
static void
text_pos(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 0;
	for (size_t i = 0; i <= off; i++) {
		unsigned char c = (unsigned char)text[i];

		if (i < off && c == '\n') {
			(*line)++;
			*col = 0;
		} else if ((c & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static struct dpf_config *
load_ok(const char *text)
{
	struct dpf_config *cfg = NULL;
	struct cfg_error err;

	if (cfg_load_string(text, &cfg, &err) != 0) {
		print_error("unexpected error %d:%d: %s: %s\n", err.line, err.column, err.path,
			    err.msg);
		fail();
	}
	assert_non_null(cfg);
	return cfg;
}

static char *
print_str(const struct dpf_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cfg_print(f, cfg);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL) {
		print_error("cannot open %s\n", path);
		fail();
	}
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* --- one config per rule, each pointing at its marker --- */

struct bad_case {
	const char *what;
	const char *text;
	const char *path;	/* expected error path */
	const char *at;		/* the error points at the first occurrence of this */
	const char *msg;	/* expected message; NULL: Jansson's, not checked */
};

#define PORT0 "{\"name\": \"p0\", \"device\": \"net_null0\"}"
#define DP "\"dataplane\": {\"ports\": [" PORT0 "]}"
/* A valid config with one port p0, followed by the case's sections. */
#define CFG(rest) "{\"schema_version\": 1, " DP rest "}"
/* The same with untagged interface lan on p0. */
#define CFG_LAN(rest) CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\"}]" rest)
#define VHID(fields) CFG_LAN(", \"carp\": {\"vhids\": [{\"vhid\": 1, \"interface\": \"lan\", " \
			     "\"addresses\": [\"198.18.1.1/24\"], " fields "}]}")
#define P(n) "{\"name\": \"p" #n "\", \"device\": \"d" #n "\"}"
#define TOP_KEYS "schema_version, system, dataplane, interfaces, routes, tables, limits, " \
		 "timeouts, options, rules, carp, sync, logging"

static const struct bad_case bad_cases[] = {
	/* JSON level: Jansson's syntax errors, duplicate keys from the index. */
	{ "syntax: value missing", "{\"schema_version\": }", "", "}", NULL },
	{ "syntax: trailing text", "{}\n x", "", "x", NULL },
	{ "duplicate key at top", "{\"schema_version\": 1, \"schema_version\": 1}",
	  "schema_version", "\"schema_version\": 1}", "duplicate key \"schema_version\"" },
	{ "duplicate key in an array element",
	  "{\"dataplane\": {\"ports\": [{\"name\": \"p0\", \"name\": \"p1\"}]}}",
	  "dataplane.ports[0].name", "\"name\": \"p1\"", "duplicate key \"name\"" },
	{ "top level not an object", "[1]", "", "[", "expected an object, got an array" },

	/* schema_version */
	{ "schema_version missing", "{" DP "}", "", "{",
	  "missing required key \"schema_version\"" },
	{ "schema_version a string", "{\"schema_version\": \"1\", " DP "}", "schema_version",
	  "\"1\"", "expected an integer, got a string" },
	{ "schema_version 0", "{\"schema_version\": 0, " DP "}", "schema_version", "0,",
	  "version 0 is not supported (this dpf reads 1)" },
	{ "schema_version before unknown keys", "{\"future\": 1, \"schema_version\": 3}",
	  "schema_version", "3}", "version 3 is not supported (this dpf reads 1)" },
	{ "unknown top-level key, with a hint", CFG(", \"rule\": []"), "rule", "\"rule\"",
	  "unknown key \"rule\" (did you mean \"rules\"? known: " TOP_KEYS ")" },
	{ "unknown top-level key, no hint", CFG(", \"zzz\": 1"), "zzz", "\"zzz\"",
	  "unknown key \"zzz\" (known: " TOP_KEYS ")" },

	/* system */
	{ "system not an object", CFG(", \"system\": []"), "system", "[]",
	  "expected an object, got an array" },
	{ "hostname empty", CFG(", \"system\": {\"hostname\": \"\"}"), "system.hostname", "\"\"",
	  "must not be empty" },
	{ "hostname too long",
	  CFG(", \"system\": {\"hostname\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	      "aaaaaaaaaaaaa\"}"), "system.hostname", "\"aaa", "65 bytes long, at most 64" },
	{ "host_id without 0x", CFG(", \"system\": {\"host_id\": \"0a0b\"}"), "system.host_id",
	  "\"0a0b\"", "\"0a0b\" is not a host id (expected \"0x\" and 1 to 8 hex digits, or "
	  "an integer)" },
	{ "host_id 0x alone", CFG(", \"system\": {\"host_id\": \"0x\"}"), "system.host_id",
	  "\"0x\"", "\"0x\" is not a host id (expected \"0x\" and 1 to 8 hex digits, or "
	  "an integer)" },
	{ "host_id not hex", CFG(", \"system\": {\"host_id\": \"0x1g\"}"), "system.host_id",
	  "\"0x1g\"", "\"0x1g\" is not a host id (expected \"0x\" and 1 to 8 hex digits, or "
	  "an integer)" },
	{ "host_id integer 0", CFG(", \"system\": {\"host_id\": 0}"), "system.host_id", "0}",
	  "0 is out of range 1..4294967295" },
	{ "host_id above 32 bits", CFG(", \"system\": {\"host_id\": 4294967296}"),
	  "system.host_id", "4294967296", "4294967296 is out of range 1..4294967295" },
	{ "host_id a boolean", CFG(", \"system\": {\"host_id\": true}"), "system.host_id",
	  "true", "expected a hex string (\"0x0a0b0c0d\") or an integer, got a boolean" },
	{ "mode not octal", CFG(", \"system\": {\"control\": {\"mode\": \"0o660\"}}"),
	  "system.control.mode", "\"0o660\"", "\"0o660\" is not an octal mode (e.g. \"0660\")" },
	{ "mode 8 is not octal", CFG(", \"system\": {\"control\": {\"mode\": \"0680\"}}"),
	  "system.control.mode", "\"0680\"", "\"0680\" is not an octal mode (e.g. \"0660\")" },
	{ "mode integer above 0777", CFG(", \"system\": {\"control\": {\"mode\": 660}}"),
	  "system.control.mode", "660", "660 is out of range 0..511 (octal 0777); write modes "
	  "as strings, e.g. \"0660\"" },
	{ "mode a boolean", CFG(", \"system\": {\"control\": {\"mode\": false}}"),
	  "system.control.mode", "false",
	  "expected an octal string (\"0660\") or an integer, got a boolean" },
	{ "socket path too long for sun_path",
	  CFG(", \"system\": {\"control\": {\"socket\": \"/run/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}"),
	  "system.control.socket", "\"/run/", "108 bytes long, at most 107" },
	{ "group with a space", CFG(", \"system\": {\"control\": {\"group\": \"a b\"}}"),
	  "system.control.group", "\"a b\"",
	  "\"a b\": a group name holds letters, digits, '.', '_' and '-'" },
	{ "unknown key in control",
	  CFG(", \"system\": {\"control\": {\"readonly_socket\": \"/x\"}}"),
	  "system.control.readonly_socket", "\"readonly_socket\"",
	  "unknown key \"readonly_socket\" (known: socket, ro_socket, mode, owner, group, "
	  "ro_mode, ro_owner, ro_group, idle_timeout_ms, stall_timeout_ms)" },
	{ "idle timeout too short",
	  CFG(", \"system\": {\"control\": {\"idle_timeout_ms\": 5}}"),
	  "system.control.idle_timeout_ms", "5",
	  "5 ms is too short: 0 (never) or 100..3600000" },
	{ "stall timeout above an hour",
	  CFG(", \"system\": {\"control\": {\"stall_timeout_ms\": 3600001}}"),
	  "system.control.stall_timeout_ms", "3600001", "3600001 is out of range 0..3600000" },
	{ "stall timeout negative",
	  CFG(", \"system\": {\"control\": {\"stall_timeout_ms\": -1}}"),
	  "system.control.stall_timeout_ms", "-1", "-1 is out of range 0..3600000" },

	/* dataplane */
	{ "dataplane missing", "{\"schema_version\": 1}", "", "{",
	  "missing required key \"dataplane\"" },
	{ "ports missing", "{\"schema_version\": 1, \"dataplane\": {\"workers\": 1}}",
	  "dataplane", "{\"workers\"", "missing required key \"ports\"" },
	{ "ports not an array", "{\"schema_version\": 1, \"dataplane\": {\"ports\": {}}}",
	  "dataplane.ports", "{}}", "expected an array, got an object" },
	{ "port not an object", "{\"schema_version\": 1, \"dataplane\": {\"ports\": [\"p0\"]}}",
	  "dataplane.ports[0]", "\"p0\"", "expected an object, got a string" },
	{ "17 ports", "{\"schema_version\": 1, \"dataplane\": {\"ports\": [" P(0) "," P(1) ","
	  P(2) "," P(3) "," P(4) "," P(5) "," P(6) "," P(7) "," P(8) "," P(9) "," P(10) ","
	  P(11) "," P(12) "," P(13) "," P(14) "," P(15) "," P(16) "]}}",
	  "dataplane.ports", "[{", "expected 1..16 ports, got 17" },
	{ "port name too long", "{\"schema_version\": 1, \"dataplane\": {\"ports\": [{\"name\": "
	  "\"abcdefghijklmnop\", \"device\": \"d\"}]}}", "dataplane.ports[0].name",
	  "\"abcdefghijklmnop\"", "name \"abcdefghijklmnop\" is longer than 15 characters" },
	{ "port name with a space", "{\"schema_version\": 1, \"dataplane\": {\"ports\": "
	  "[{\"name\": \"p 0\", \"device\": \"d\"}]}}", "dataplane.ports[0].name", "\"p 0\"",
	  "name \"p 0\" may only hold letters, digits, '_', '.' and '-'" },
	{ "port name empty", "{\"schema_version\": 1, \"dataplane\": {\"ports\": "
	  "[{\"name\": \"\", \"device\": \"d\"}]}}", "dataplane.ports[0].name", "\"\"",
	  "a name must not be empty" },
	{ "port device with a space", "{\"schema_version\": 1, \"dataplane\": {\"ports\": "
	  "[{\"name\": \"p0\", \"device\": \"net null\"}]}}", "dataplane.ports[0].device",
	  "\"net null\"", "a device name holds no spaces or control characters" },
	{ "port device used twice", "{\"schema_version\": 1, \"dataplane\": {\"ports\": ["
	  PORT0 ", {\"name\": \"p1\", \"device\": \"net_null0\"}]}}", "dataplane.ports[1].device",
	  "\"net_null0\"}]", "device \"net_null0\" is already port p0" },
	{ "port mtu 67", "{\"schema_version\": 1, \"dataplane\": {\"ports\": [{\"name\": \"p0\", "
	  "\"device\": \"d\", \"mtu\": 67}]}}", "dataplane.ports[0].mtu", "67",
	  "67 is out of range 68..9600" },
	{ "port mtu 9601", "{\"schema_version\": 1, \"dataplane\": {\"ports\": [{\"name\": \"p0\", "
	  "\"device\": \"d\", \"mtu\": 9601}]}}", "dataplane.ports[0].mtu", "9601",
	  "9601 is out of range 68..9600" },
	{ "tx_desc 32768", "{\"schema_version\": 1, \"dataplane\": {\"ports\": [{\"name\": \"p0\", "
	  "\"device\": \"d\", \"tx_desc\": 32768}]}}", "dataplane.ports[0].tx_desc", "32768",
	  "32768 is out of range 64..16384" },
	{ "tx_desc 96", "{\"schema_version\": 1, \"dataplane\": {\"ports\": [{\"name\": \"p0\", "
	  "\"device\": \"d\", \"tx_desc\": 96}]}}", "dataplane.ports[0].tx_desc", "96",
	  "96 is not a power of two" },
	{ "workers 0", "{\"schema_version\": 1, \"dataplane\": {\"workers\": 0, \"ports\": ["
	  PORT0 "]}}", "dataplane.workers", "0,", "0 is out of range 1..64" },
	{ "workers 65", "{\"schema_version\": 1, \"dataplane\": {\"workers\": 65, \"ports\": ["
	  PORT0 "]}}", "dataplane.workers", "65", "65 is out of range 1..64" },
	{ "idle_sleep_us above 1 s", "{\"schema_version\": 1, \"dataplane\": {\"idle_sleep_us\": "
	  "1000001, \"ports\": [" PORT0 "]}}", "dataplane.idle_sleep_us", "1000001",
	  "1000001 is out of range 0..1000000" },
	{ "mbufs 1023", "{\"schema_version\": 1, \"dataplane\": {\"mbufs\": 1023, \"ports\": ["
	  PORT0 "]}}", "dataplane.mbufs", "1023", "1023 is out of range (0, or 1024..16777216)" },
	{ "mbufs above 16M", "{\"schema_version\": 1, \"dataplane\": {\"mbufs\": 16777217, "
	  "\"ports\": [" PORT0 "]}}", "dataplane.mbufs", "16777217",
	  "16777217 is out of range 0..16777216" },
	{ "burst 0", "{\"schema_version\": 1, \"dataplane\": {\"burst\": 0, \"ports\": [" PORT0
	  "]}}", "dataplane.burst", "0,", "0 is out of range 1..64" },
	{ "lcores with letters", "{\"schema_version\": 1, \"dataplane\": {\"eal\": {\"lcores\": "
	  "\"a-b\"}, \"ports\": [" PORT0 "]}}", "dataplane.eal.lcores", "\"a-b\"",
	  "\"a-b\": an EAL lcore list holds digits and \",-@()\" (e.g. \"0-2\" or \"0,4,6\")" },
	{ "eal args not strings", "{\"schema_version\": 1, \"dataplane\": {\"eal\": {\"args\": "
	  "[\"-a\", 1]}, \"ports\": [" PORT0 "]}}", "dataplane.eal.args[1]", "1]",
	  "expected a string, got an integer" },
	{ "eal args empty string", "{\"schema_version\": 1, \"dataplane\": {\"eal\": {\"args\": "
	  "[\"\"]}, \"ports\": [" PORT0 "]}}", "dataplane.eal.args[0]", "\"\"]",
	  "must not be empty" },
	{ "eal file_prefix with a slash", "{\"schema_version\": 1, \"dataplane\": {\"eal\": "
	  "{\"file_prefix\": \"a/b\"}, \"ports\": [" PORT0 "]}}", "dataplane.eal.file_prefix",
	  "\"a/b\"", "\"a/b\": a file prefix holds letters, digits, '_' and '-'" },
	{ "eal memory_mb negative", "{\"schema_version\": 1, \"dataplane\": {\"eal\": "
	  "{\"memory_mb\": -1}, \"ports\": [" PORT0 "]}}", "dataplane.eal.memory_mb", "-1",
	  "-1 is out of range 0..1048576" },
	{ "eal no_huge a string", "{\"schema_version\": 1, \"dataplane\": {\"eal\": "
	  "{\"no_huge\": \"yes\"}, \"ports\": [" PORT0 "]}}", "dataplane.eal.no_huge", "\"yes\"",
	  "expected true or false, got a string" },
	{ "eal unknown key", "{\"schema_version\": 1, \"dataplane\": {\"eal\": {\"lcore\": \"0\"},"
	  " \"ports\": [" PORT0 "]}}", "dataplane.eal.lcore", "\"lcore\"",
	  "unknown key \"lcore\" (did you mean \"lcores\"? known: lcores, args, file_prefix, "
	  "memory_mb, no_huge, in_memory)" },

	/* interfaces */
	{ "interfaces an object", CFG(", \"interfaces\": {}"), "interfaces", "{}}",
	  "expected an array, got an object" },
	{ "interface without name", CFG(", \"interfaces\": [{\"port\": \"p0\"}]"),
	  "interfaces[0]", "{\"port\"", "missing required key \"name\"" },
	{ "interface without port", CFG(", \"interfaces\": [{\"name\": \"lan\"}]"),
	  "interfaces[0]", "{\"name\": \"lan\"", "missing required key \"port\"" },
	{ "interface port a number", CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": 0}]"),
	  "interfaces[0].port", "0}", "expected a string, got an integer" },
	{ "interface naming a missing port",
	  CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p1\"}]"), "interfaces[0].port",
	  "\"p1\"", "unknown port \"p1\" (ports: p0)" },
	{ "vlan a string",
	  CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", \"vlan\": \"10\"}]"),
	  "interfaces[0].vlan", "\"10\"", "expected an integer, got a string" },
	{ "vlan 0", CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", \"vlan\": 0}]"),
	  "interfaces[0].vlan", "0}", "0 is out of range 1..4094" },
	{ "vlan 4095",
	  CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", \"vlan\": 4095}]"),
	  "interfaces[0].vlan", "4095", "4095 is out of range 1..4094" },
	{ "interface mtu 67",
	  CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", \"mtu\": 67}]"),
	  "interfaces[0].mtu", "67", "67 is out of range 68..9600" },
	{ "interface mtu above the port's",
	  CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", \"mtu\": 1501}]"),
	  "interfaces[0].mtu", "1501", "mtu 1501 is above port p0's mtu 1500" },
	{ "ipv4 not an array",
	  CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", \"ipv4\": \"1.2.3.4/8\"}]"),
	  "interfaces[0].ipv4", "\"1.2.3.4/8\"", "expected an array, got a string" },
	{ "ipv4 element a number",
	  CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", \"ipv4\": [7]}]"),
	  "interfaces[0].ipv4[0]", "7]", "expected an IPv4 prefix string, got an integer" },
	{ "ipv4 prefix length 33", CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", "
	  "\"ipv4\": [\"198.18.1.1/33\"]}]"), "interfaces[0].ipv4[0]", "\"198.18.1.1/33\"",
	  "\"198.18.1.1/33\": the prefix length must be 0..32" },
	{ "ipv4 prefix length not a number", CFG(", \"interfaces\": [{\"name\": \"lan\", "
	  "\"port\": \"p0\", \"ipv4\": [\"198.18.1.1/2x\"]}]"), "interfaces[0].ipv4[0]",
	  "\"198.18.1.1/2x\"", "\"198.18.1.1/2x\": the prefix length must be 0..32" },
	{ "ipv4 three octets", CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", "
	  "\"ipv4\": [\"198.18.1/24\"]}]"), "interfaces[0].ipv4[0]", "\"198.18.1/24\"",
	  "\"198.18.1/24\" is not an IPv4 prefix" },
	{ "ipv6 prefix length 129", CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", "
	  "\"ipv6\": [\"2001:db8::1/129\"]}]"), "interfaces[0].ipv6[0]", "\"2001:db8::1/129\"",
	  "\"2001:db8::1/129\": the prefix length must be 0..128" },
	{ "ipv6 list holding IPv4", CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", "
	  "\"ipv6\": [\"198.18.1.1/24\"]}]"), "interfaces[0].ipv6[0]", "\"198.18.1.1/24\"",
	  "\"198.18.1.1/24\" is IPv4, expected an IPv6 prefix" },
	{ "ipv6 with a zone", CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", "
	  "\"ipv6\": [\"fe80::1%eth0/64\"]}]"), "interfaces[0].ipv6[0]", "\"fe80",
	  "\"fe80::1%eth0/64\" is not an IPv6 prefix" },
	{ "group listed twice", CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", "
	  "\"groups\": [\"in\", \"in\"]}]"), "interfaces[0].groups[1]", "\"in\"]",
	  "group \"in\" is listed twice" },
	{ "group starting with a digit", CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": "
	  "\"p0\", \"groups\": [\"1x\"]}]"), "interfaces[0].groups[0]", "\"1x\"",
	  "name \"1x\" must start with a letter" },
	{ "two untagged interfaces on a port", CFG(", \"interfaces\": [{\"name\": \"lan\", "
	  "\"port\": \"p0\"}, {\"name\": \"wan\", \"port\": \"p0\"}]"), "interfaces[1].port",
	  "\"p0\"}]", "port p0 untagged is already interface lan" },
	{ "unknown key in an interface, with a hint", CFG(", \"interfaces\": [{\"name\": "
	  "\"lan\", \"port\": \"p0\", \"ipv5\": []}]"), "interfaces[0].ipv5", "\"ipv5\"",
	  "unknown key \"ipv5\" (did you mean \"ipv4\"? known: name, port, vlan, mtu, ipv4, "
	  "ipv6, groups)" },

	/* routes */
	{ "route without prefix", CFG_LAN(", \"routes\": [{\"interface\": \"lan\"}]"),
	  "routes[0]", "{\"interface\": \"lan\"}", "missing required key \"prefix\"" },
	{ "route prefix without length", CFG_LAN(", \"routes\": [{\"prefix\": \"10.0.0.0\", "
	  "\"interface\": \"lan\"}]"), "routes[0].prefix", "\"10.0.0.0\"",
	  "\"10.0.0.0\" has no prefix length (expected ADDRESS/LEN)" },
	{ "route IPv6 host bits", CFG(", \"routes\": [{\"prefix\": \"2001:db8::1/32\", "
	  "\"reject\": true}]"), "routes[0].prefix", "\"2001:db8::1/32\"",
	  "host bits set in 2001:db8::1/32 (the network is 2001:db8::/32)" },
	{ "route via with a length", CFG(", \"routes\": [{\"prefix\": \"0.0.0.0/0\", \"via\": "
	  "\"198.18.0.1/32\"}]"), "routes[0].via", "\"198.18.0.1/32\"",
	  "\"198.18.0.1/32\": expected an address without a prefix length" },
	{ "route via multicast", CFG(", \"routes\": [{\"prefix\": \"0.0.0.0/0\", \"via\": "
	  "\"224.0.0.1\"}]"), "routes[0].via", "\"224.0.0.1\"",
	  "224.0.0.1 is not a unicast address" },
	{ "route via IPv4 for an IPv6 prefix", CFG(", \"routes\": [{\"prefix\": \"::/0\", "
	  "\"via\": \"198.18.0.1\"}]"), "routes[0].via", "\"198.18.0.1\"",
	  "gateway 198.18.0.1 is IPv4 but the prefix ::/0 is IPv6" },
	{ "route to an unknown interface", CFG(", \"routes\": [{\"prefix\": \"0.0.0.0/0\", "
	  "\"interface\": \"wan\"}]"), "routes[0].interface", "\"wan\"",
	  "unknown interface \"wan\" (no interfaces are defined)" },
	{ "route reject a string", CFG(", \"routes\": [{\"prefix\": \"0.0.0.0/0\", "
	  "\"reject\": \"yes\"}]"), "routes[0].reject", "\"yes\"",
	  "expected true or false, got a string" },
	{ "reject route with an interface", CFG_LAN(", \"routes\": [{\"prefix\": \"0.0.0.0/0\", "
	  "\"interface\": \"lan\", \"reject\": true}]"), "routes[0].reject", "true",
	  "a reject route has no via or interface" },
	{ "route with reject false and no next hop", CFG(", \"routes\": [{\"prefix\": "
	  "\"0.0.0.0/0\", \"reject\": false}]"), "routes[0]", "{\"prefix\"",
	  "a route needs \"via\", \"interface\" or \"reject\": true" },
	{ "duplicate route", CFG(", \"routes\": [{\"prefix\": \"10.0.0.0/8\", \"reject\": true}, "
	  "{\"prefix\": \"10.0.0.0/8\", \"via\": \"198.18.0.1\"}]"), "routes[1].prefix",
	  "\"10.0.0.0/8\", \"via", "duplicate route 10.0.0.0/8 (also routes[0])" },

	/* tables */
	{ "tables an array", CFG(", \"tables\": []"), "tables", "[]",
	  "expected an object, got an array" },
	{ "table a string", CFG(", \"tables\": {\"t\": \"10.0.0.0/8\"}"), "tables.t",
	  "\"10.0.0.0/8\"", "expected an array of prefixes or {\"file\": PATH}, got a string" },
	{ "table object with another key", CFG(", \"tables\": {\"t\": {\"path\": \"/x\"}}"),
	  "tables.t.path", "\"path\"", "unknown key \"path\" (known: file)" },
	{ "table object without file", CFG(", \"tables\": {\"t\": {}}"), "tables.t", "{}}",
	  "missing required key \"file\"" },
	{ "table name of 32 characters",
	  CFG(", \"tables\": {\"abcdefghijklmnopqrstuvwxyz012345\": []}"),
	  "tables.abcdefghijklmnopqrstuvwxyz012345", "\"abcdefghijklmnopqrstuvwxyz012345\"",
	  "table name \"abcdefghijklmnopqrstuvwxyz012345\" must be 1..31 letters, digits or '_'" },
	{ "table entry with a bad length", CFG(", \"tables\": {\"t\": [\"10.0.0.0/8x\"]}"),
	  "tables.t[0]", "\"10.0.0.0/8x\"", "\"10.0.0.0/8x\": the prefix length must be 0..32" },
	{ "more tables than limits.tables", CFG(", \"tables\": {\"a\": [], \"b\": []}, "
	  "\"limits\": {\"tables\": 1}"), "tables", "{\"a\"", "2 tables, above limits.tables 1" },
	{ "more entries than limits.table-entries", CFG(", \"tables\": {\"a\": [\"10.0.0.1\", "
	  "\"10.0.0.2\"]}, \"limits\": {\"table-entries\": 1}"), "tables", "{\"a\"",
	  "2 table entries, above limits.table-entries 1" },

	/* limits and timeouts */
	{ "limits an array", CFG(", \"limits\": []"), "limits", "[]",
	  "expected an object, got an array" },
	{ "unknown limit", CFG(", \"limits\": {\"state\": 1}"), "limits.state", "\"state\"",
	  "unknown key \"state\" (did you mean \"states\"? known: states, src-nodes, frags, "
	  "tables, table-entries)" },
	{ "limits.states 0", CFG(", \"limits\": {\"states\": 0}"), "limits.states", "0}",
	  "0 is out of range 1..4294967295" },
	{ "limits.states above 32 bits", CFG(", \"limits\": {\"states\": 4294967296}"),
	  "limits.states", "4294967296", "4294967296 is out of range 1..4294967295" },
	{ "timeout negative", CFG(", \"timeouts\": {\"tcp.first\": -1}"), "timeouts.tcp.first",
	  "-1", "-1 is out of range 0..4294967295" },
	{ "timeout a string", CFG(", \"timeouts\": {\"udp.first\": \"60\"}"), "timeouts.udp.first",
	  "\"60\"", "expected an integer, got a string" },
	{ "timeout a real number", CFG(", \"timeouts\": {\"frag\": 1.5}"), "timeouts.frag", "1.5",
	  "expected an integer, got a real number" },

	/* options and rules */
	{ "options.default a boolean", CFG(", \"options\": {\"default\": true}"),
	  "options.default", "true", "expected a string, got a boolean" },
	{ "options.default unknown", CFG(", \"options\": {\"default\": \"drop\"}"),
	  "options.default", "\"drop\"", "expected \"block\" or \"pass\", got \"drop\"" },
	{ "unknown option", CFG(", \"options\": {\"block_policy\": \"drop\"}"),
	  "options.block_policy", "\"block_policy\"",
	  "unknown key \"block_policy\" (known: default)" },
	{ "rules an object", CFG(", \"rules\": {}"), "rules", "{}}",
	  "expected an array, got an object" },
	{ "rule null", CFG(", \"rules\": [\"pass all\", null]"), "rules[1]", "null]",
	  "expected a rule (a string or an object), got null" },
	{ "rule an array", CFG(", \"rules\": [[\"pass\"]]"), "rules[0]", "[\"pass\"]",
	  "expected a rule (a string or an object), got an array" },

	/* carp */
	{ "carp.log 8", CFG(", \"carp\": {\"log\": 8}"), "carp.log", "8}",
	  "8 is out of range 0..7" },
	{ "carp.preempt an integer", CFG(", \"carp\": {\"preempt\": 1}"), "carp.preempt", "1}",
	  "expected true or false, got an integer" },
	{ "vhid without interface", CFG_LAN(", \"carp\": {\"vhids\": [{\"vhid\": 1, \"pass\": "
	  "\"x\", \"addresses\": [\"198.18.1.1/24\"]}]}"), "carp.vhids[0]", "{\"vhid\"",
	  "missing required key \"interface\"" },
	{ "vhid without addresses", CFG_LAN(", \"carp\": {\"vhids\": [{\"vhid\": 1, "
	  "\"interface\": \"lan\", \"pass\": \"x\"}]}"), "carp.vhids[0]", "{\"vhid\"",
	  "missing required key \"addresses\"" },
	{ "vhid with no address", CFG_LAN(", \"carp\": {\"vhids\": [{\"vhid\": 1, "
	  "\"interface\": \"lan\", \"pass\": \"x\", \"addresses\": []}]}"),
	  "carp.vhids[0].addresses", "[]", "a vhid needs at least one address" },
	{ "vhid given twice", VHID("\"vhid\": 0, \"pass\": \"x\""), "carp.vhids[0].vhid",
	  "\"vhid\": 0", "duplicate key \"vhid\"" },
	{ "vhid 0", CFG_LAN(", \"carp\": {\"vhids\": [{\"vhid\": 0, \"interface\": \"lan\", "
	  "\"pass\": \"x\", \"addresses\": [\"198.18.1.1/24\"]}]}"), "carp.vhids[0].vhid", "0,",
	  "0 is out of range 1..255" },
	{ "vhid 256", CFG_LAN(", \"carp\": {\"vhids\": [{\"vhid\": 256, \"interface\": \"lan\", "
	  "\"pass\": \"x\", \"addresses\": [\"198.18.1.1/24\"]}]}"), "carp.vhids[0].vhid", "256",
	  "256 is out of range 1..255" },
	{ "advbase 256", VHID("\"advbase\": 256, \"pass\": \"x\""), "carp.vhids[0].advbase",
	  "256", "256 is out of range 0..255" },
	{ "advskew 255", VHID("\"advskew\": 255, \"pass\": \"x\""), "carp.vhids[0].advskew",
	  "255", "255 is out of range 0..254" },
	{ "key_file empty", VHID("\"key_file\": \"\""), "carp.vhids[0].key_file", "\"\"",
	  "must not be empty" },
	{ "pass of 20 bytes", VHID("\"pass\": \"01234567890123456789\""), "carp.vhids[0].pass",
	  "\"0123", "the key is 20 bytes long, at most 19" },
	{ "no key at all, pass null", VHID("\"pass\": null"), "carp.vhids[0]", "{\"vhid\"",
	  "a vhid needs \"key_file\" or \"pass\"" },
	{ "vhid address multicast", CFG_LAN(", \"carp\": {\"vhids\": [{\"vhid\": 1, "
	  "\"interface\": \"lan\", \"pass\": \"x\", \"addresses\": [\"224.0.0.18/24\"]}]}"),
	  "carp.vhids[0].addresses[0]", "\"224.0.0.18/24\"",
	  "224.0.0.18/24 is not a unicast address" },
	{ "vhid peer with a length", VHID("\"pass\": \"x\", \"peer\": \"198.18.1.2/24\""),
	  "carp.vhids[0].peer", "\"198.18.1.2/24\"",
	  "\"198.18.1.2/24\": expected an address without a prefix length" },
	{ "vhid peer broadcast", VHID("\"pass\": \"x\", \"peer\": \"255.255.255.255\""),
	  "carp.vhids[0].peer", "\"255.255.255.255\"",
	  "255.255.255.255 is not a unicast address" },

	/* sync and logging */
	{ "sync.maxupd 256", CFG(", \"sync\": {\"maxupd\": 256}"), "sync.maxupd", "256",
	  "256 is out of range 0..255" },
	{ "sync.defer a string", CFG(", \"sync\": {\"defer\": \"no\"}"), "sync.defer", "\"no\"",
	  "expected true or false, got a string" },
	{ "sync.interface a number", CFG(", \"sync\": {\"interface\": 5}"), "sync.interface",
	  "5}", "expected a string, got an integer" },
	{ "sync.peer multicast", CFG_LAN(", \"sync\": {\"interface\": \"lan\", \"peer\": "
	  "\"ff02::1\"}"), "sync.peer", "\"ff02::1\"", "ff02::1 is not a unicast address" },
	{ "sync.peer unspecified", CFG_LAN(", \"sync\": {\"interface\": \"lan\", \"peer\": "
	  "\"0.0.0.0\"}"), "sync.peer", "\"0.0.0.0\"", "0.0.0.0 is not a unicast address" },
	{ "logging.pflog empty", CFG(", \"logging\": {\"pflog\": \"\"}"), "logging.pflog",
	  "\"\"", "must not be empty" },
	{ "unknown logging key", CFG(", \"logging\": {\"pcap\": \"/x\"}"), "logging.pcap",
	  "\"pcap\"", "unknown key \"pcap\" (known: pflog)" },
	{ "control character in a key", CFG(", \"a\\u0001b\": 1"), "a\\x01b", "\"a\\u0001b\"",
	  "unknown key \"a?b\" (known: " TOP_KEYS ")" },
};

static void
test_bad_case(void **state)
{
	const struct bad_case *c = *state;
	struct dpf_config *cfg = (struct dpf_config *)1;
	const char *at = strstr(c->text, c->at);
	struct cfg_error err;
	int line, col;

	assert_non_null(at);
	text_pos(c->text, (size_t)(at - c->text), &line, &col);
	assert_int_equal(cfg_load_string(c->text, &cfg, &err), -1);
	assert_null(cfg);
	if (c->msg != NULL)
		assert_string_equal(err.msg, c->msg);
	else
		assert_true(err.msg[0] != '\0');
	assert_string_equal(err.path, c->path);
	assert_int_equal(err.line, line);
	assert_int_equal(err.column, col);
}

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

/* --- golden files --- */

struct golden {
	char name[256];		/* "good/minimal.json" */
};

static char *
swap_ext(const char *name, const char *ext)
{
	char *s = malloc(strlen(name) + strlen(ext) + 1);
	char *dot;

	assert_non_null(s);
	strcpy(s, name);
	dot = strrchr(s, '.');
	assert_non_null(dot);
	strcpy(dot, ext);
	return s;
}

static void
test_golden_good(void **state)
{
	const struct golden *g = *state;
	struct dpf_config *cfg = NULL, *again = NULL;
	char *outname = swap_ext(g->name, ".out");
	char *want = read_file(outname);
	struct cfg_error err;
	char *a, *b;

	if (cfg_load_file(g->name, &cfg, &err) != 0) {
		print_error("%s:%d:%d: %s: %s\n", g->name, err.line, err.column, err.path, err.msg);
		fail();
	}
	a = print_str(cfg);
	assert_string_equal(a, want);
	/* print -> load -> print is a fixed point. */
	if (cfg_load_string(a, &again, &err) != 0) {
		print_error("printed %s: %d:%d: %s: %s\n", g->name, err.line, err.column, err.path,
			    err.msg);
		fail();
	}
	b = print_str(again);
	assert_string_equal(a, b);
	free(a);
	free(b);
	free(want);
	free(outname);
	cfg_free(again);
	cfg_free(cfg);
}

static void
test_golden_bad(void **state)
{
	const struct golden *g = *state;
	struct dpf_config *cfg = (struct dpf_config *)1;
	char *errname = swap_ext(g->name, ".err");
	char *want = read_file(errname);
	char line[CFG_ERR_MAX + 256];
	struct cfg_error err;
	char *nl;

	/* The .err file is exactly one line. */
	nl = strchr(want, '\n');
	assert_non_null(nl);
	assert_int_equal(nl[1], '\0');
	*nl = '\0';
	assert_int_equal(cfg_load_file(g->name, &cfg, &err), -1);
	assert_null(cfg);
	cfg_error_format(&err, strchr(g->name, '/') + 1, line, sizeof(line));
	assert_string_equal(line, want);
	free(want);
	free(errname);
}

static struct golden *goldens;
static size_t n_goldens;

static int
json_only(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
}

static void
find_goldens(const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, json_only, alphasort);

	if (n < 0) {
		printf("Bail out! cannot list tests/config/%s\n", dir);
		exit(1);
	}
	goldens = realloc(goldens, (n_goldens + (size_t)n) * sizeof(*goldens));
	if (goldens == NULL)
		exit(1);
	for (int i = 0; i < n; i++) {
		if (snprintf(goldens[n_goldens].name, sizeof(goldens[0].name), "%s/%s", dir,
			     list[i]->d_name) >= (int)sizeof(goldens[0].name))
			exit(1);
		n_goldens++;
		free(list[i]);
	}
	free(list);
}

/*
 * Heap bytes in use.  glibc's per-thread cache keeps freed chunks that
 * mallinfo2() counts as in use, so main() runs the tests with the cache off
 * (GLIBC_TUNABLES), which makes the figure exact.  Under ASan the figure is
 * meaningless but constant, and LeakSanitizer does the checking at exit.
 */
#define NO_TCACHE "glibc.malloc.tcache_count=0"

static size_t
heap_in_use(void)
{
	return mallinfo2().uordblks;
}

static void
reexec_without_tcache(char **argv)
{
	const char *t = getenv("GLIBC_TUNABLES");
	char buf[512];

	if (t != NULL && strstr(t, NO_TCACHE) != NULL)
		return;
	snprintf(buf, sizeof(buf), "%s%s" NO_TCACHE, t != NULL ? t : "", t != NULL ? ":" : "");
	if (setenv("GLIBC_TUNABLES", buf, 1) == 0)
		execv("/proc/self/exe", argv);
	/* Exec failed: carry on; the heap check then reports the cache as growth. */
}

static void
test_load_free_loop(void **state)
{
	size_t before = 0;

	(void)state;
	for (int round = 0; round < 21; round++) {
		if (round == 1)
			before = heap_in_use();
		for (size_t i = 0; i < n_goldens; i++) {
			struct dpf_config *cfg = NULL;
			struct cfg_error err;
			char *out;

			if (cfg_load_file(goldens[i].name, &cfg, &err) == 0) {
				out = print_str(cfg);
				free(out);
				cfg_free(cfg);
			}
		}
		for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
			struct dpf_config *cfg = NULL;
			struct cfg_error err;

			assert_int_equal(cfg_load_string(bad_cases[i].text, &cfg, &err), -1);
		}
	}
	assert_int_equal(heap_in_use(), before);
}

int
main(int argc, char **argv)
{
	static const struct CMUnitTest fixed[] = {
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
		cmocka_unit_test(test_load_free_loop),
	};
	size_t n_bad = sizeof(bad_cases) / sizeof(bad_cases[0]), n_fixed = sizeof(fixed) /
		sizeof(fixed[0]), n = 0;
	const char *env = getenv("DPF_SRCDIR");
	char dir[PATH_MAX + 32];
	struct CMUnitTest *tests;
	int rc;

	(void)argc;
	reexec_without_tcache(argv);
	snprintf(srcdir, sizeof(srcdir), "%s", env != NULL ? env : ".");
	snprintf(dir, sizeof(dir), "%s/tests/config", srcdir);
	if (chdir(dir) != 0) {
		printf("Bail out! cannot chdir to %s (set DPF_SRCDIR)\n", dir);
		return 1;
	}
	find_goldens("good");
	find_goldens("bad");
	tests = calloc(n_fixed + n_bad + n_goldens, sizeof(*tests));
	if (tests == NULL)
		return 1;
	for (size_t i = 0; i < n_fixed; i++)
		tests[n++] = fixed[i];
	for (size_t i = 0; i < n_bad; i++)
		tests[n++] = (struct CMUnitTest){ .name = bad_cases[i].what,
						  .test_func = test_bad_case,
						  .initial_state = (void *)&bad_cases[i] };
	for (size_t i = 0; i < n_goldens; i++)
		tests[n++] = (struct CMUnitTest){
			.name = goldens[i].name,
			.test_func = strncmp(goldens[i].name, "good/", 5) == 0 ?
				     test_golden_good : test_golden_bad,
			.initial_state = &goldens[i],
		};
	rc = _cmocka_run_group_tests("config", tests, n, NULL, NULL);
	free(tests);
	free(goldens);
	return rc;
}
