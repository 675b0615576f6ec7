#!/usr/bin/env bash
# dpf reaches a network only through a static route via a real next-hop
# host: a Linux router namespace with forwarding on.  IPv4 and IPv6 ping and
# a TCP transfer each way through the gateway (SHA-256 compared), the
# gateway resolved by ARP and ND (seen on the router's wire, MAC equal to
# the router's), dpfctl's routes and neighbours, and traffic resuming after
# the router's interface goes down and up, also with a new MAC that the
# router announces (dpf must take it over).  Needs root; cleans up on exit.
#
#   $P-cli [c0 198.18.1.2] -- [l0] dpf [w0 198.18.2.1] -- [s0 198.18.2.2] $P-srv (router)
#     $P-srv [r1 198.19.5.1, 2001:db8:5::1] -- [f0 198.19.5.2, 2001:db8:5::2] $P-far
# dpf: 198.19.5.0/24 via 198.18.2.2 and 2001:db8:5::/64 via 2001:db8:2::2.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

netns_setup "dpfg$$"
# lib.sh's cleanup knows fw/cli/srv; the far server's namespace is ours.
trap 'netns_cleanup; ip netns del "$P-far" 2>/dev/null' EXIT
R=$P-srv
ip netns add "$P-far"
ip link add "$P-r1" type veth peer name "$P-f0"
ip link set "$P-r1" netns "$R"
ip link set "$P-f0" netns "$P-far"
in_ns "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
	"net.ipv6.conf.$P-s0.keep_addr_on_down=1" "net.ipv6.conf.$P-r1.accept_dad=0"
in_ns "$R" ip link set "$P-r1" up
in_ns "$R" ethtool -K "$P-r1" tx off tso off gso off gro off >/dev/null 2>&1
in_ns "$R" ip addr add 198.19.5.1/24 dev "$P-r1"
in_ns "$R" ip -6 addr add 2001:db8:5::1/64 dev "$P-r1" nodad
host_setup "$P-far" "$P-f0" 198.19.5.2/24 198.19.5.1 2001:db8:5::2/64 2001:db8:5::1

dpf_config 1 "0-1" "" ',
  "routes": [ { "prefix": "198.19.5.0/24", "via": "198.18.2.2" },
              { "prefix": "2001:db8:5::/64", "via": "2001:db8:2::2" } ]'
if ! dpf_start; then notok "dpf starts"; finish; exit 1; fi
ok "dpf starts with two static routes via the router"

mac_of() { in_ns "$R" cat "/sys/class/net/$P-s0/address"; }
DPF_MAC=$(in_ns "$P-fw" cat "/sys/class/net/$P-w0/address")
RMAC=$(mac_of)
# neigh_is ADDR MAC: dpf lists ADDR on wan, reachable, with MAC.
neigh_is() { ctl show neighbors | grep -qiE "^$1 +$2 +wan +reachable"; }

# The FIB build may create the gateways' entries, but unresolved.
ctl show neighbors | sed 's/^/# before traffic: /'
if ctl show neighbors | grep -qE '^(198\.18\.2\.2|2001:db8:2::2) +[0-9a-f]{2}:'; then
	notok "no resolved gateway neighbour entry before traffic"
else ok "no resolved gateway neighbour entry before traffic"; fi

# Capture the router's side of the WAN segment while dpf first resolves.
# (ip netns exec execs timeout, which passes signals on: $! is timeout.)
ip netns exec "$R" timeout 20 tcpdump -i "$P-s0" -n -e -U -w "$TMP/wan.pcap" \
	'arp or icmp6' >/dev/null 2>"$TMP/tcpd.err" &
tcpd=$!
wait_for 20 "tcpdump to capture on $P-s0" capturing "$TMP/tcpd.err"
check "IPv4 ping client -> far server through the gateway" \
	in_ns "$P-cli" ping -c 3 -i 0.2 -W 2 198.19.5.2
check "IPv6 ping client -> far server through the gateway" \
	in_ns "$P-cli" ping -6 -c 3 -i 0.2 -W 2 2001:db8:5::2
# The pings were answered, so both resolutions are on the wire; the
# capture has caught up when it holds the four messages checked below.
resolved_on_wire() {
	tcpdump -r "$TMP/wan.pcap" -n -e 2>/dev/null >"$TMP/wan.txt"
	grep -q "Request who-has 198\.18\.2\.2" "$TMP/wan.txt" &&
		grep -q "Reply 198\.18\.2\.2 is-at" "$TMP/wan.txt" &&
		grep -q "neighbor solicitation, who has 2001:db8:2::2" "$TMP/wan.txt" &&
		grep -q "neighbor advertisement, tgt is 2001:db8:2::2" "$TMP/wan.txt"
}
wait_for 10 "the capture to hold the ARP and ND exchanges" resolved_on_wire
stop_pid "$tcpd" INT
tcpdump -r "$TMP/wan.pcap" -n -e 2>/dev/null >"$TMP/wan.txt"
sed 's/^/# wan: /' "$TMP/wan.txt" | head -12
check "dpf asked for the IPv4 gateway by ARP (request from its wan MAC)" \
	grep -qiE "^[0-9:.]+ $DPF_MAC > ff:ff:ff:ff:ff:ff.*Request who-has 198\.18\.2\.2 tell 198\.18\.2\.1" \
	"$TMP/wan.txt"
check "the router answered the ARP request" \
	grep -qiE "^[0-9:.]+ $RMAC > $DPF_MAC.*Reply 198\.18\.2\.2 is-at $RMAC" "$TMP/wan.txt"
check "dpf asked for the IPv6 gateway by ND (NS from its wan MAC)" \
	grep -qiE "^[0-9:.]+ $DPF_MAC > 33:33:ff:00:00:02.*neighbor solicitation, who has 2001:db8:2::2" \
	"$TMP/wan.txt"
check "dpfctl show neighbors: IPv4 gateway reachable with the router's MAC ($RMAC)" \
	neigh_is 198.18.2.2 "$RMAC"
check "dpfctl show neighbors: IPv6 gateway reachable with the router's MAC" \
	neigh_is 2001:db8:2::2 "$RMAC"
if ctl show neighbors | grep -qE '^(198\.19\.5\.2|2001:db8:5::2) '; then
	notok "the far server is not a neighbour of dpf (it is behind the gateway)"
else ok "the far server is not a neighbour of dpf (it is behind the gateway)"; fi
check "dpfctl show routes: both static routes with their gateway on wan" \
	sh -c "'$DPFCTL' -s '$SOCK' show routes | grep -E '^198\.19\.5\.0/24 +198\.18\.2\.2 +wan +gateway' &&
	       '$DPFCTL' -s '$SOCK' show routes | grep -E '^2001:db8:5::/64 +2001:db8:2::2 +wan +gateway'"
check "dpfctl -j show routes: the IPv4 route's gateway in JSON" \
	sh -c "'$DPFCTL' -s '$SOCK' -j show routes | $PY -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x[\"destination\"] == \"198.19.5.0/24\"]
assert len(r) == 1 and r[0][\"gateway\"] == \"198.18.2.2\", r'"
ctl show routes | sed 's/^/# /'
ctl show neighbors | sed 's/^/# /'

# xfer DESC SENDER_NS RECEIVER_NS DST PORT MB: a TCP transfer, SHA-256 compared.
xfer() {
	local desc=$1 sns=$2 rns=$3 dst=$4 port=$5 mb=$6 rp
	head -c "${mb}M" /dev/urandom >"$TMP/x.bin"
	in_ns "$rns" "$PY" "$HERE/xfer.py" tcp-recv "$port" "$TMP/x.out" 60 >"$TMP/x.n" &
	rp=$!
	wait_for 20 "the receiver listening on $port" tcp_listening "$rns" "$port"
	in_ns "$sns" "$PY" "$HERE/xfer.py" tcp-send "$dst" "$port" "$TMP/x.bin"
	wait $rp
	if [ "$(sha256sum <"$TMP/x.bin")" = "$(sha256sum <"$TMP/x.out" 2>/dev/null)" ]; then
		ok "$desc: $mb MB, SHA-256 equal"
	else notok "$desc: $(cat "$TMP/x.n" 2>/dev/null) of $mb MB, SHA-256 differs"; fi
	rm -f "$TMP/x.bin" "$TMP/x.out"
}
xfer "TCP client -> far server over IPv4 via the gateway" "$P-cli" "$P-far" 198.19.5.2 5001 40
xfer "TCP far server -> client over IPv6 via the gateway" "$P-far" "$P-cli" 2001:db8:1::2 5002 40
fwd=$(in_ns "$R" cat "/sys/class/net/$P-r1/statistics/tx_packets")
if [ "$fwd" -gt 20000 ]; then ok "the router forwarded the traffic ($fwd packets out of r1)"
else notok "the router forwarded only $fwd packets out of r1"; fi

# router_flap NEWMAC: the router's WAN interface goes down for as long as
# the no-traffic check takes (1.5 s: longer than dpf's once-a-second link
# poll, though net_af_packet reports no carrier change to see), optionally
# comes back with another MAC; its connected and default routes are
# restored after it is up.
router_flap() {
	in_ns "$R" ip link set "$P-s0" down
	if in_ns "$P-cli" ping -c 2 -i 0.5 -W 1 198.19.5.2 >/dev/null 2>&1; then
		notok "no traffic while the router's interface is down"
	else ok "no traffic while the router's interface is down"; fi
	[ -n "$1" ] && in_ns "$R" ip link set "$P-s0" address "$1"
	in_ns "$R" ip link set "$P-s0" up
	in_ns "$R" ip route replace default via 198.18.2.1
	in_ns "$R" ip -6 route replace default via 2001:db8:2::1
}
# resumes AF DST: one echo at a time (1 s each) until one is answered;
# 15 s at most.
resumes() { wait_for 15 "an answer from $2" in_ns "$P-cli" ping "-$1" -c 1 -W 1 "$2"; }

router_flap ""
check "after the router's interface goes down and up, IPv4 traffic resumes" resumes 4 198.19.5.2
check "... and IPv6 traffic resumes" resumes 6 2001:db8:5::2
check "the gateway is still known with the router's MAC" neigh_is 198.18.2.2 "$RMAC"

# Back with another MAC (a replaced router, a failover): the router
# announces it, as Linux does with arp_notify/ndisc_notify (gratuitous ARP,
# unsolicited NA with the override flag), and dpf must take the new MAC for
# its existing entries [RFC 826 merge; RFC 4861 7.2.5].  Without an
# announcement dpf would keep the old MAC until LOCAL_REACHABLE_S (300 s).
in_ns "$R" sysctl -qw "net.ipv4.conf.$P-s0.arp_notify=1" "net.ipv6.conf.$P-s0.ndisc_notify=1"
NEWMAC=02:00:5e:10:00:99
router_flap "$NEWMAC"
check "router back with a new MAC: IPv4 traffic resumes (its announcement learned)" \
	resumes 4 198.19.5.2
check "... IPv6 traffic resumes (new MAC learned for the IPv6 gateway)" resumes 6 2001:db8:5::2
check "dpfctl show neighbors: IPv4 gateway now at the new MAC" neigh_is 198.18.2.2 "$NEWMAC"
check "dpfctl show neighbors: IPv6 gateway now at the new MAC" neigh_is 2001:db8:2::2 "$NEWMAC"
xfer "TCP client -> far server over IPv4 after the flap" "$P-cli" "$P-far" 198.19.5.2 5003 10
ctl show neighbors | sed 's/^/# /'
ctl show info -v | sed 's/^/# /'

stop_dpf
if [ "$STOP_RC" = 0 ] && grep -q "event=stopping" "$TMP/dpf.log"; then
	ok "SIGTERM stops dpf cleanly"
else notok "SIGTERM did not stop dpf"; fi
finish
