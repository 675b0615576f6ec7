-- flows.lua: established flows at scale.  For each count in PG_FLOWS_LIST
-- ("1000 10000 100000 1000000"): a first pass at a low rate sends every
-- flow once (dpf makes their states: a rule that passes and keeps state,
-- e.g. "pass all"), then PG_TRIAL_MS at the offered rate PG_RATE (% of the
-- link), which only meets states; prints received Mpps and loss.
-- A start sends at most 24576 distinct flows (dpflib.range), so the first
-- pass of N flows is N / 24576 starts (each writes the next flows into the
-- pool); the measured trial is one start too: with more flows than that,
-- it covers the first 24576 of them (they hit states made by the first pass).
package.path = (os.getenv("PG_LIB") or "tools/pktgen") .. "/?.lua;" .. package.path
local d = require("dpflib")

local POOL = 24576
local list = {}
for s in (os.getenv("PG_FLOWS_LIST") or "1000 10000 100000 1000000"):gmatch("%S+") do
	list[#list + 1] = tonumber(s)
end
local rate = tonumber(os.getenv("PG_RATE") or "100")
local fill = tonumber(os.getenv("PG_FILL_RATE") or "1")
local size = tonumber(os.getenv("PG_SIZE") or "64")

d.setup("udp")
local rows = {}
for _, want in ipairs(list) do
	local n = d.range(want, "udp", size)
	local sent = 0
	while sent < n do
		local c = math.min(POOL, n - sent)
		local tx = d.trial(fill, 10000, c)
		if tx == 0 then break end
		sent = sent + tx
	end
	d.log("flows: %d flows, first pass sent %d", n, sent)
	local tx, rx, loss = d.trial(rate, d.cfg.trial_ms)
	local mpps = rx / (d.cfg.trial_ms / 1000) / 1e6
	rows[#rows + 1] = { n, tx, rx, loss, mpps }
	d.csv("range", size, n, mpps, loss)
end
d.log("")
d.log("Established flows, %d B, offered %g%% of the link, %d ms", size, rate, d.cfg.trial_ms)
d.log("%10s %12s %12s %10s %9s", "flows", "sent", "received", "loss", "Mpps rx")
for _, r in ipairs(rows) do
	d.log("%10d %12d %12d %10.6f %9.3f", r[1], r[2], r[3], r[4], r[5])
end
d.log("flows: done")
if os.getenv("PG_QUIT") ~= "0" then pktgen.quit() end
