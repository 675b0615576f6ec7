#!/usr/bin/env bash
# dpf routes between two namespaces over net_af_packet ports: IPv4 and IPv6
# ping, answers for its own addresses, 100 MB TCP each way with checksums
# compared, UDP, TTL expiry and no-route ICMP errors, fragmentation needed,
# a VLAN sub-interface, and dpfctl's views.  Needs root; cleans up on exit.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

netns_setup "dpft$$"
# Extra: a VLAN 100 interface on the LAN port, whose host is scapy on the
# client's link (vlan_probe.py: no kernel 802.1Q support needed), and a WAN
# MTU of 1400 to provoke "fragmentation needed".
dpf_config 1 "0-1" ',
    { "name": "lan100", "port": "p0", "vlan": 100, "ipv4": [ "198.18.3.1/24" ],
      "ipv6": [ "2001:db8:3::1/64" ] }'
sed -i 's/"name": "wan", "port": "p1",/"name": "wan", "port": "p1", "mtu": 1400,/' "$TMP/dpf.json"
if ! dpf_start; then notok "dpf starts"; finish; exit 1; fi
ok "dpf starts and answers on its control socket"

check "IPv4 ping client -> server" in_ns "$P-cli" ping -c 3 -i 0.2 -W 2 198.18.2.2
check "IPv6 ping client -> server" in_ns "$P-cli" ping -6 -c 3 -i 0.2 -W 2 2001:db8:2::2
check "IPv4 ping of dpf's own address" in_ns "$P-cli" ping -c 2 -i 0.2 -W 2 198.18.1.1
check "IPv4 ping of dpf's far-side address" in_ns "$P-cli" ping -c 2 -i 0.2 -W 2 198.18.2.1
check "IPv6 ping of dpf's own address" in_ns "$P-cli" ping -6 -c 2 -i 0.2 -W 2 2001:db8:1::1
check "VLAN 100 host: ARP, ND and IPv4/IPv6 echo through dpf, answers tagged" \
	in_ns "$P-cli" "$PY" "$HERE/vlan_probe.py" "$P-c0" 100

# 100 MB of random data each way, compared by SHA-256.
head -c 100M /dev/urandom >"$TMP/up.bin"
head -c 100M /dev/urandom >"$TMP/down.bin"
in_ns "$P-srv" "$PY" "$HERE/xfer.py" tcp-recv 5001 "$TMP/up.out" 120 >"$TMP/up.n" &
rp=$!
wait_for 20 "the receiver listening on 5001" tcp_listening "$P-srv" 5001
in_ns "$P-cli" "$PY" "$HERE/xfer.py" tcp-send 198.18.2.2 5001 "$TMP/up.bin"
wait $rp
if [ "$(sha256sum <"$TMP/up.bin")" = "$(sha256sum <"$TMP/up.out")" ]; then
	ok "100 MB TCP client -> server over IPv4, SHA-256 equal"
else notok "100 MB TCP client -> server: $(cat "$TMP/up.n") bytes, SHA-256 differs"; fi
in_ns "$P-cli" "$PY" "$HERE/xfer.py" tcp-recv 5002 "$TMP/down.out" 120 >"$TMP/down.n" &
rp=$!
wait_for 20 "the receiver listening on 5002" tcp_listening "$P-cli" 5002
in_ns "$P-srv" "$PY" "$HERE/xfer.py" tcp-send 2001:db8:1::2 5002 "$TMP/down.bin"
wait $rp
if [ "$(sha256sum <"$TMP/down.bin")" = "$(sha256sum <"$TMP/down.out")" ]; then
	ok "100 MB TCP server -> client over IPv6, SHA-256 equal"
else notok "100 MB TCP server -> client: $(cat "$TMP/down.n") bytes, SHA-256 differs"; fi
rm -f "$TMP"/*.bin "$TMP"/*.out

before=$(udp_path "$P-srv")
in_ns "$P-srv" "$PY" "$HERE/xfer.py" udp-recv 5003 500 10 >"$TMP/udp.n" &
rp=$!
wait_for 20 "the receiver bound to UDP 5003" udp_bound "$P-srv" 5003
in_ns "$P-cli" "$PY" "$HERE/xfer.py" udp-send 198.18.2.2 5003 500
wait $rp
n=$(cat "$TMP/udp.n")
if [ "$n" -ge 495 ]; then ok "UDP: $n of 500 datagrams arrived"; else notok "UDP: only $n of 500"; fi
udp_path_diag "$P-srv" "$before"

out=$(in_ns "$P-cli" ping -c 1 -W 2 -t 1 198.18.2.2 2>&1)
if echo "$out" | grep -q "From 198.18.1.1.*Time to live exceeded"; then
	ok "TTL 1 is answered with ICMP time exceeded from 198.18.1.1"
else notok "TTL expiry: $out"; fi
out=$(in_ns "$P-cli" ping -6 -c 1 -W 2 -t 1 2001:db8:2::2 2>&1)
if echo "$out" | grep -q "From 2001:db8:1::1.*Time exceeded"; then
	ok "hop limit 1 is answered with ICMPv6 time exceeded"
else notok "hop limit expiry: $out"; fi
out=$(in_ns "$P-cli" ping -c 1 -W 2 198.19.99.1 2>&1)
if echo "$out" | grep -q "From 198.18.1.1.*Destination Net Unreachable"; then
	ok "an unrouted destination gets ICMP net unreachable"
else notok "no route: $out"; fi
out=$(in_ns "$P-cli" ping -6 -c 1 -W 2 2001:db8:99::1 2>&1)
if echo "$out" | grep -q "From 2001:db8:1::1.*No route"; then
	ok "an unrouted IPv6 destination gets ICMPv6 no route"
else notok "no route v6: $out"; fi
# The TCP transfers above taught the client the path MTU: forget it.
in_ns "$P-cli" ip route flush cache
in_ns "$P-cli" ip -6 route flush cache
out=$(in_ns "$P-cli" ping -c 1 -W 2 -M do -s 1450 198.18.2.2 2>&1)
if echo "$out" | grep -qi "Frag needed.*mtu = 1400"; then
	ok "DF packet over the egress MTU gets fragmentation needed (mtu 1400)"
else notok "frag needed: $out"; fi
in_ns "$P-cli" ip route flush cache
check "a non-DF packet over the egress MTU is fragmented and delivered" \
	in_ns "$P-cli" ping -c 2 -i 0.2 -W 2 -M dont -s 1450 198.18.2.2
out=$(in_ns "$P-cli" ping -6 -c 1 -W 2 -s 1450 2001:db8:2::2 2>&1)
if echo "$out" | grep -qi "Packet too big.*mtu=1400"; then
	ok "IPv6 over the egress MTU gets packet too big (mtu 1400)"
else notok "packet too big: $out"; fi

check "dpfctl show interfaces lists lan, wan and lan100 with VLAN 100" \
	sh -c "'$DPFCTL' -s '$SOCK' show interfaces | grep -q '^lan100: port p0 vlan 100 mtu 1500 link up'"
check "dpfctl show routes has the connected and local routes" \
	sh -c "'$DPFCTL' -s '$SOCK' show routes | grep -E '^198.18.2.0/24 +- +wan +connected' &&
	       '$DPFCTL' -s '$SOCK' show routes | grep -E '^198.18.1.1/32 +- +lan +local'"
check "dpfctl show neighbors has the server's MAC" \
	sh -c "'$DPFCTL' -s '$SOCK' show neighbors | grep -E '^198.18.2.2 +[0-9a-f:]{17} +wan +reachable'"
check "dpfctl -j show info is JSON with forwarded packets" \
	sh -c "'$DPFCTL' -s '$SOCK' -j show info | $PY -c 'import json,sys; d=json.load(sys.stdin); assert d[\"forwarded\"] > 140000, d'"
check "show info counts the no-route drops" \
	sh -c "'$DPFCTL' -s '$SOCK' show info -v | grep -E '^  no-route +[1-9]'"
ctl show info -v | sed 's/^/# /'

stop_dpf
if [ "$STOP_RC" = 0 ] && grep -q "event=stopping" "$TMP/dpf.log"; then
	ok "SIGTERM stops dpf cleanly"
else notok "SIGTERM did not stop dpf"; fi
finish
