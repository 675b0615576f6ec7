-- syn.lua: new connections: TCP SYNs in range mode, every frame a new
-- 5-tuple, so every SYN that dpf passes made a state ("pass all" is
-- "flags S/SA keep state": only a SYN without ACK makes a TCP state).
-- Binary search on the offered SYN rate for loss <= PG_LOSS; a trial is one
-- start of PG_SYN_COUNT SYNs (<= 24576, the range pool: all distinct, and
-- the next trial's SYNs are new flows again since the range continues).
-- The figure is new states/s = the best passing rate's received SYNs over
-- the time they took at that rate.
--   Why a SYN test saw 0 frames through dpf before: pktgen's TCP flags
--   default to ACK (DEFAULT_TCP_FLAGS), and the range packet has no Lua
--   binding for its flags: an ACK without state is blocked by "flags S/SA".
--   dpflib.cmd sets them ("range 0 tcp flag set syn", "clr ack").  A fixed
--   short delay also cut off the first trial while pktgen still wrote its
--   range pool; counted trials now wait for the count (dpflib.trial).
package.path = (os.getenv("PG_LIB") or "tools/pktgen") .. "/?.lua;" .. package.path
local d = require("dpflib")

local count = tonumber(os.getenv("PG_SYN_COUNT") or "20000")
local steps = tonumber(os.getenv("PG_STEPS") or "8")
local maxrate = tonumber(os.getenv("PG_MAX_RATE") or "20")

d.setup("tcp")
local n = d.range(10000000, "tcp", 64)
d.cmd({ "range 0 tcp flag clr all", "range 0 tcp flag set syn" })
local lo, hi = 0, maxrate
local best = { rate = 0, tx = 0, rx = 0, loss = 1 }
for _ = 1, steps do
	local rate = (lo + hi) / 2
	local tx, rx, loss = d.trial(rate, 2000, count)
	d.log("  syn rate %8.4f%% (%.3f Mpps offered) tx %8d rx %8d loss %.6f %s", rate,
		d.pps_at(64, rate) / 1e6, tx, rx, loss, (tx > 0 and loss <= d.cfg.loss) and "pass" or "fail")
	if tx > 0 and loss <= d.cfg.loss then
		best = { rate = rate, tx = tx, rx = rx, loss = loss }
		lo = rate
	else
		hi = rate
	end
end
local pps = d.pps_at(64, best.rate)
d.csv("syn", 64, n, pps * (1 - best.loss) / 1e6, best.loss)
d.log("")
d.log("New connections (SYN, 64 B, %d per trial, %d steps, loss <= %g)", count, steps, d.cfg.loss)
d.log("%10s %14s %10s %10s %10s %14s", "rate %", "offered Mpps", "sent", "received", "loss", "new states/s")
d.log("%10.4f %14.3f %10d %10d %10.6f %14.0f", best.rate, pps / 1e6, best.tx, best.rx, best.loss,
	pps * (1 - best.loss))
d.log("syn: done")
if os.getenv("PG_QUIT") ~= "0" then pktgen.quit() end
