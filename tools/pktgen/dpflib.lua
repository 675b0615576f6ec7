-- dpflib.lua: shared helpers for the Pktgen-DPDK scripts that benchmark a
-- two-port dpf box (tools/pktgen/README.md).  Port 0 of pktgen is wired to
-- dpf's "lan" (198.18.1.0/24), port 1 to its "wan" (198.18.2.0/24); dpf
-- routes 198.19.0.0/16 via 198.18.2.254, which is pktgen's port 1 address
-- (pktgen answers dpf's ARP for it).  Traffic goes port 0 -> dpf -> port 1.
--
-- The config comes from the environment so that one script serves the
-- memif harness (tools/bench/pktgen.sh) and a real two-box setup:
--   DPF_LAN_MAC, DPF_WAN_MAC  dpf's port MACs (the frames' destination)
--   PG_TRIAL_MS               one trial's length (default 2000)
--   PG_LOSS                   loss ratio a trial may have and pass (0.001)
--   PG_OUT                    a file that gets one CSV line per figure
--                             ("test,frame,flows,mpps,loss")
local M = {}

local function env(name, default)
	local v = os.getenv(name)
	if v == nil or v == "" then return default end
	return v
end

M.cfg = {
	lan_mac   = env("DPF_LAN_MAC", "02:70:63:61:70:00"),
	wan_mac   = env("DPF_WAN_MAC", "02:70:63:61:70:01"),
	src_ip    = env("PG_SRC_IP", "198.18.1.2"),
	gw_ip     = env("PG_GW_IP", "198.18.2.254"),
	dpf_wan   = env("PG_DPF_WAN_IP", "198.18.2.1"),
	dst_ip    = env("PG_DST_IP", "198.19.0.1"),
	trial_ms  = tonumber(env("PG_TRIAL_MS", "2000")),
	loss      = tonumber(env("PG_LOSS", "0.001")),
	out       = env("PG_OUT", nil),
}

function M.log(fmt, ...)
	-- stderr: unbuffered, and apart from pktgen's screen on stdout
	io.stderr:write(string.format(fmt, ...) .. "\n")
end

-- csv TEST FRAME FLOWS MPPS LOSS: one figure for the harness (PG_OUT).
function M.csv(test, frame, flows, mpps, loss)
	if M.cfg.out == nil then return end
	local f = io.open(M.cfg.out, "a")
	f:write(string.format("%s,%s,%d,%.4f,%.6f\n", test, tostring(frame), flows, mpps, loss))
	f:close()
end

-- cmd LINES: runs pktgen CLI commands (those without a Lua binding, such
-- as "range 0 tcp flag set syn") through a command file.
function M.cmd(lines)
	local path = os.tmpname()
	local f = io.open(path, "w")
	for _, l in ipairs(lines) do f:write(l .. "\n") end
	f:close()
	-- pktgen 23.03's run() wants exactly three arguments (the third is
	-- not used); with two it raises "arguments wrong" and the script stops.
	pktgen.run("cmd", path, "")
	os.remove(path)
end

-- setup PROTO: addresses, MACs and the gateway's ARP request into dpf's
-- wan (dpf learns 198.18.2.254 from it; pktgen also answers dpf's own
-- request on port 1).
function M.setup(proto)
	local c = M.cfg
	pktgen.stop("all")
	pktgen.set_mac("0", "dst", c.lan_mac)
	pktgen.set_mac("1", "dst", c.wan_mac)
	pktgen.set_ipaddr("0", "src", c.src_ip .. "/24")
	pktgen.set_ipaddr("0", "dst", c.dst_ip)
	pktgen.set_ipaddr("1", "src", c.gw_ip .. "/24")
	pktgen.set_ipaddr("1", "dst", c.dpf_wan)
	pktgen.set_proto("0", proto or "udp")
	-- pktgen answers ARP only on ports with input processing on (off by
	-- default): without it dpf's requests for the gateway went unanswered.
	pktgen.process("1", "on")
	pktgen.send_arp("1", "r")
	pktgen.delay(200)
end

local function gcd(x, y)
	while y ~= 0 do x, y = y, x % y end
	return x
end

-- range FLOWS PROTO SIZE: range mode on port 0 with about FLOWS distinct
-- 5-tuples; returns the exact count.  Range mode steps every field once
-- per frame, so the source port cycles over P values and the source
-- address over A values at the same time: FLOWS = P * A distinct pairs
-- when gcd(P, A) = 1.  Range mode writes each mbuf of its pool once per
-- "start" (24576 mbufs per Tx queue in 23.03): one start sends at most that
-- many distinct flows, then repeats them in the same order.
function M.range(flows, proto, size)
	local p, a = flows, 1
	if flows > 50000 then
		a = math.ceil(flows / 50000)
		p = flows // a
		while gcd(p, a) ~= 1 do p = p - 1 end
	end
	M.flows = p * a
	local c = M.cfg
	pktgen.range.ip_proto("0", proto)
	pktgen.range.dst_mac("0", "start", c.lan_mac)
	pktgen.range.dst_ip("0", "start", c.dst_ip)
	pktgen.range.dst_ip("0", "inc", "0.0.0.0")
	pktgen.range.src_ip("0", "start", c.src_ip)
	pktgen.range.src_ip("0", "min", c.src_ip)
	pktgen.range.src_ip("0", "inc", a > 1 and "0.0.0.1" or "0.0.0.0")
	local o1, o2, o3, o4 = c.src_ip:match("(%d+)%.(%d+)%.(%d+)%.(%d+)")
	pktgen.range.src_ip("0", "max", string.format("%s.%s.%d.%d", o1, o2,
		o3 + (o4 + a - 1) // 256, (o4 + a - 1) % 256))
	pktgen.range.src_port("0", "start", 1024)
	pktgen.range.src_port("0", "min", 1024)
	pktgen.range.src_port("0", "max", 1024 + p - 1)
	pktgen.range.src_port("0", "inc", p > 1 and 1 or 0)
	pktgen.range.dst_port("0", "start", 5001)
	pktgen.range.dst_port("0", "inc", 0)
	pktgen.range.ttl("0", "start", 64)
	pktgen.range.ttl("0", "inc", 0)
	pktgen.range.pkt_size("0", "start", size)
	pktgen.range.pkt_size("0", "inc", 0)
	pktgen.range.pkt_size("0", "min", size)
	pktgen.range.pkt_size("0", "max", size)
	-- pktgen's rate (% of the link) is turned into frames/s with the
	-- single packet's size, also in range mode: without this a 512 B
	-- trial at R % was paced as 64 B frames, about 7 times too fast.
	pktgen.set("0", "size", size)
	pktgen.set_range("0", "on")
	return M.flows
end

-- stats: port 0 sent, port 1 received.
function M.counts()
	local s0 = pktgen.portStats("0", "port")[0]
	local s1 = pktgen.portStats("1", "port")[1]
	return s0.opackets, s1.ipackets
end

-- trial RATE MS [COUNT]: clears the counters, sends at RATE (% of the link)
-- for MS (or COUNT frames, 0: until MS), waits for the last frames and
-- returns sent, received, loss ratio, the seconds it sent for.
function M.trial(rate, ms, count)
	pktgen.stop("0")
	pktgen.delay(100)
	pktgen.clr()
	pktgen.delay(100)
	pktgen.set("0", "rate", rate)
	pktgen.set("0", "count", count or 0)
	pktgen.start("0")
	if count and count > 0 then
		-- A counted trial ends by itself: wait for it (not a fixed delay,
		-- which cut off the first short trial when range mode still wrote
		-- its pool) and no longer than 10 x MS.
		local waited = 0
		pktgen.delay(50)
		while pktgen.isSending("0")[0] == "y" and waited < 10 * ms do
			pktgen.delay(50)
			waited = waited + 50
		end
	else
		pktgen.delay(ms)
	end
	pktgen.stop("0")
	pktgen.delay(300)
	local tx, rx = M.counts()
	local loss = tx > 0 and (tx - rx) / tx or 1
	if loss < 0 then loss = 0 end
	return tx, rx, loss
end

-- pps_at SIZE RATE: the frame rate that RATE % of port 0's link means.
function M.pps_at(size, rate)
	local ls = pktgen.linkState("0")[0]
	local mbps = tonumber(ls:match("%-(%d+)%-")) or 10000
	return mbps * 1e6 / ((size + 20) * 8) * rate / 100
end

-- search SIZE: RFC 2544 binary search of the rate (% of link) with loss
-- <= cfg.loss; returns the best passing rate (%), its tx/rx and Mpps
-- measured at the receiver.
function M.search(size, lo, hi, steps)
	local best = { rate = 0, tx = 0, rx = 0, mpps = 0, loss = 1 }
	local c = M.cfg
	for _ = 1, steps do
		local rate = (lo + hi) / 2
		local tx, rx, loss = M.trial(rate, c.trial_ms)
		local mpps = rx / (c.trial_ms / 1000) / 1e6
		M.log("  trial %5s B rate %8.4f%% tx %10d rx %10d loss %.6f %s", tostring(size),
			rate, tx, rx, loss, loss <= c.loss and "pass" or "fail")
		if tx > 0 and loss <= c.loss then
			best = { rate = rate, tx = tx, rx = rx, mpps = mpps, loss = loss }
			lo = rate
		else
			hi = rate
		end
	end
	return best
end

return M
