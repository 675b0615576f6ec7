-- rfc2544.lua: RFC 2544 throughput through dpf: for each frame size (and
-- IMIX), a binary search on the offered rate for the highest rate whose
-- loss ratio is at most PG_LOSS (dpflib.lua).  UDP, PG_FLOWS flows (1024)
-- in range mode; dpf's ruleset decides whether they make states.
--   PG_SIZES  frame sizes, e.g. "64 128 256 512 1024 1280 1518 imix"
--   PG_STEPS  binary search steps (8); PG_MAX_RATE first upper bound (%, 100)
-- IMIX is CSIT's IMIX_v4_1 (28 x 64 B, 16 x 570 B, 4 x 1518 B, mean 353.8 B),
-- searched as its mean size: pktgen range mode steps the size per frame
-- over 64..1518 in 16 steps instead (pkt_size inc), which gives the same
-- mean only approximately; the table says "imix~" for it.
package.path = (os.getenv("PG_LIB") or "tools/pktgen") .. "/?.lua;" .. package.path
local d = require("dpflib")

local sizes = {}
for s in (os.getenv("PG_SIZES") or "64 128 256 512 1024 1280 1518 imix"):gmatch("%S+") do
	sizes[#sizes + 1] = s
end
local steps = tonumber(os.getenv("PG_STEPS") or "8")
local maxrate = tonumber(os.getenv("PG_MAX_RATE") or "100")
local flows = tonumber(os.getenv("PG_FLOWS") or "1024")

d.setup("udp")
local rows = {}
for _, s in ipairs(sizes) do
	local size = tonumber(s) or 64
	local n = d.range(flows, "udp", size)
	if s == "imix" then
		pktgen.range.pkt_size("0", "min", 64)
		pktgen.range.pkt_size("0", "max", 1518)
		pktgen.range.pkt_size("0", "inc", 97)
		size = 354
		pktgen.set("0", "size", size)	-- the rate's pacing size (dpflib.range)
	end
	d.log("rfc2544: %s B, %d flows, search 0..%g%% in %d steps", s, n, maxrate, steps)
	local b = d.search(size, 0, maxrate, steps)
	rows[#rows + 1] = { s, b }
	d.csv("rfc2544", s, n, b.mpps, b.loss)
end
d.log("")
d.log("RFC 2544 throughput (loss <= %g, %d ms trials, %d steps)", d.cfg.loss, d.cfg.trial_ms, steps)
d.log("%-6s %10s %12s %12s %10s %9s", "frame", "rate %", "sent", "received", "loss", "Mpps rx")
for _, r in ipairs(rows) do
	local b = r[2]
	d.log("%-6s %10.4f %12d %12d %10.6f %9.3f", r[1], b.rate, b.tx, b.rx, b.loss, b.mpps)
end
d.log("rfc2544: done")
if os.getenv("PG_QUIT") ~= "0" then pktgen.quit() end
