-- syn.lua: new connections per second.  TCP SYNs in range mode, every frame
-- a new 5-tuple, so every SYN that dpf passes made a state ("pass all" is
-- "flags S/SA keep state": only a SYN without ACK makes a TCP state).
-- Binary search on the offered SYN rate for loss <= PG_LOSS.
--
-- Live mode (PKTGEN_RANGE_LIVE=1, patch 0005; tools/bench/pktgen.sh sets
-- it): pktgen builds each range frame as it sends it, so a trial sends new
-- 5-tuples for as long as it lasts (PG_SYN_TRIAL_MS, default 500): the
-- source address steps over A values and the source port over P at the
-- same time, P * A = PG_SYN_FLOWS (default about 10M) distinct pairs before
-- one repeats.  The figure is new states/s = SYNs received on port 1 over
-- the trial's seconds, at the best passing rate, beside what pktgen really
-- sent (a trial that sent less than it was asked for is generator-bound).
-- Before every trial PG_SYN_HOOK, a shell command, empties the device's
-- state table (tools/bench/pktgen.sh: `dpfctl state kill all`; on two
-- boxes e.g. "ssh fw dpfctl state kill all"), so that every trial starts
-- from the same table and a trial's SYNs must fit dpf's limits.states, not
-- all trials' together; what it prints ("killed N states": the previous
-- trial's states) is logged.
--
-- Counted mode (without PKTGEN_RANGE_LIVE): a trial is one start of
-- PG_SYN_COUNT SYNs (<= 24576, the range pool written once per start), a
-- few milliseconds at any rate: it shows that each SYN made a state, not a
-- rate (the figure is the offered rate).
--   Why a SYN test saw 0 frames through dpf before: pktgen's TCP flags
--   default to ACK (DEFAULT_TCP_FLAGS), and the range packet has no Lua
--   binding for its flags: an ACK without state is blocked by "flags S/SA".
--   dpflib.cmd sets them ("range 0 tcp flag set syn", "clr ack").  A fixed
--   short delay also cut off the first trial while pktgen still wrote its
--   range pool; counted trials now wait for the count (dpflib.trial).
package.path = (os.getenv("PG_LIB") or "tools/pktgen") .. "/?.lua;" .. package.path
local d = require("dpflib")

local live = (tonumber(os.getenv("PKTGEN_RANGE_LIVE") or "0") or 0) > 0
local count = tonumber(os.getenv("PG_SYN_COUNT") or "20000")
local trial_ms = tonumber(os.getenv("PG_SYN_TRIAL_MS") or "500")
local nflows = tonumber(os.getenv("PG_SYN_FLOWS") or "10000000")
local hook = os.getenv("PG_SYN_HOOK")
local steps = tonumber(os.getenv("PG_STEPS") or "8")
local maxrate = tonumber(os.getenv("PG_MAX_RATE") or "20")

-- empty: runs the hook; logs its output.
local function empty()
	if hook == nil or hook == "" then return end
	local p = io.popen(hook .. " 2>&1")
	local out = p:read("a") or ""
	p:close()
	d.log("  hook: %s", (out:gsub("%s+$", "")))
end

d.setup("tcp")
local n = d.range(live and nflows or 10000000, "tcp", 64)
d.cmd({ "range 0 tcp flag clr all", "range 0 tcp flag set syn" })
-- Live mode builds a frame per send: without this pktgen also rewrites its
-- whole 10 KB template with the "abc..." payload pattern a byte at a time
-- for every frame (92% of the sending lcore's time, 0.09 Mpps).
if live then d.cmd({ "set 0 pattern none" }) end
local lo, hi = 0, maxrate
local best = { rate = 0, tx = 0, rx = 0, loss = 1 }
for _ = 1, steps do
	local rate = (lo + hi) / 2
	local tx, rx, loss
	if live then
		empty()
		tx, rx, loss = d.trial(rate, trial_ms)
	else
		tx, rx, loss = d.trial(rate, 2000, count)
	end
	d.log("  syn rate %8.4f%% (%.3f Mpps offered) tx %8d rx %8d loss %.6f %s", rate,
		d.pps_at(64, rate) / 1e6, tx, rx, loss, (tx > 0 and loss <= d.cfg.loss) and "pass" or "fail")
	if tx > 0 and loss <= d.cfg.loss then
		best = { rate = rate, tx = tx, rx = rx, loss = loss }
		lo = rate
	else
		hi = rate
	end
end
empty()
local pps = d.pps_at(64, best.rate)
d.log("")
if live then
	local secs = trial_ms / 1000
	local sent, got = best.tx / secs, best.rx / secs
	d.csv("syn", 64, n, got / 1e6, best.loss)
	d.log("New connections (SYN, 64 B, live range of %d 5-tuples, %d ms trials, %d steps, loss <= %g)",
		n, trial_ms, steps, d.cfg.loss)
	d.log("%10s %14s %12s %10s %10s %10s %14s", "rate %", "offered Mpps", "sent Mpps", "sent",
		"received", "loss", "new states/s")
	d.log("%10.4f %14.3f %12.3f %10d %10d %10.6f %14.0f", best.rate, pps / 1e6, sent / 1e6,
		best.tx, best.rx, best.loss, got)
	if best.rate > 0 and sent < 0.95 * pps then
		d.log("syn: pktgen sent %.3f Mpps of the %.3f asked: the generator is the limit",
			sent / 1e6, pps / 1e6)
	end
else
	d.csv("syn-count", 64, n, pps * (1 - best.loss) / 1e6, best.loss)
	d.log("New connections (SYN, 64 B, %d per trial, %d steps, loss <= %g)", count, steps, d.cfg.loss)
	d.log("%10s %14s %10s %10s %10s %14s", "rate %", "offered Mpps", "sent", "received", "loss",
		"offered SYN/s")
	d.log("%10.4f %14.3f %10d %10d %10.6f %14.0f", best.rate, pps / 1e6, best.tx, best.rx, best.loss,
		pps * (1 - best.loss))
	d.log("syn: counted trials: this is the offered rate, not a measured one (PKTGEN_RANGE_LIVE=1)")
end
d.log("syn: done")
if os.getenv("PG_QUIT") ~= "0" then pktgen.quit() end
