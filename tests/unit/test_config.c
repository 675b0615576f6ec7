/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the config loader (control/config/: config, schema,
 * printing), first part: what must fail and the golden files.  The
 * function tests are in test_config_values.c.
 *
 *  - bad_cases[]: one config per schema rule, each with the expected path,
 *    message and position.  The expected line and column are not written
 *    down: they are computed from a marker, the text at which the error must
 *    point (the offending value, the unknown or repeated key, or the object
 *    missing a key), so a test fails if the loader points anywhere else.
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
#include "tests/unit/config_util.h"


/* --- one config per rule, each pointing at its marker --- */

struct bad_case {
	const char *what;
	const char *text;
	const char *path;	/* expected error path */
	const char *at;		/* the error points at the first occurrence of this */
	const char *msg;	/* expected message; NULL: Jansson's, not checked */
};

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
		cmocka_unit_test(test_load_free_loop),
	};
	size_t n_bad = sizeof(bad_cases) / sizeof(bad_cases[0]), n_fixed = sizeof(fixed) /
		sizeof(fixed[0]), n = 0;
	struct CMUnitTest *tests;
	int rc;

	(void)argc;
	reexec_without_tcache(argv);
	if (cfg_test_chdir() != 0)
		return 1;
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

