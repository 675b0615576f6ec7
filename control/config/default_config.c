/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the embedded default configuration.
 *
 * `dpf` without -c runs this: two af_packet ports on the host-side veth
 * ends dpf-lan and dpf-wan that tools/demo.sh creates, a LAN
 * 198.18.1.0/24 + 2001:db8:1::/64 and a WAN 198.18.2.0/24 +
 * 2001:db8:2::/64, one worker, no hugepages, and the control socket at
 * /run/dpf/dpf.sock.  Its rules let the LAN out and keep the WAN out
 * (answered with RST / ICMP unreachable and logged to /run/dpf/pflog.pcap).  The same text is shown in docs/config.md.
 */
#include "control/config/config.h"

const char cfg_default_text[] =
	"{\n"
	"  \"schema_version\": 1,\n"
	"  \"system\": { \"hostname\": \"dpf-demo\" },\n"
	"  \"dataplane\": {\n"
	"    \"eal\": { \"lcores\": \"0-1\", \"no_huge\": true, \"memory_mb\": 512,\n"
	"             \"in_memory\": true,\n"
	"             \"args\": [ \"--vdev=net_af_packet0,iface=dpf-lan\",\n"
	"                       \"--vdev=net_af_packet1,iface=dpf-wan\" ] },\n"
	"    \"workers\": 1,\n"
	"    \"idle_sleep_us\": 50,\n"
	"    \"ports\": [ { \"name\": \"p0\", \"device\": \"net_af_packet0\" },\n"
	"               { \"name\": \"p1\", \"device\": \"net_af_packet1\" } ]\n"
	"  },\n"
	"  \"interfaces\": [\n"
	"    { \"name\": \"lan\", \"port\": \"p0\", \"ipv4\": [ \"198.18.1.1/24\" ],\n"
	"      \"ipv6\": [ \"2001:db8:1::1/64\" ] },\n"
	"    { \"name\": \"wan\", \"port\": \"p1\", \"ipv4\": [ \"198.18.2.1/24\" ],\n"
	"      \"ipv6\": [ \"2001:db8:2::1/64\" ] }\n"
	"  ],\n"
	"  \"rules\": [ \"block return log all\",\n"
	"             \"pass in on lan all\",\n"
	"             \"pass out all\" ],\n"
	"  \"logging\": { \"pflog\": \"/run/dpf/pflog.pcap\" }\n"
	"}\n";
