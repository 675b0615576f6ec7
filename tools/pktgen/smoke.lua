-- smoke.lua: PG_SMOKE_COUNT (5000) UDP frames, 64 B, one flow, at 1 % of
-- the link from port 0 through dpf to port 1; prints "smoke: sent N received M"
-- and the figure for the harness (the test tests/integration/test_pktgen_smoke.sh).
package.path = (os.getenv("PG_LIB") or "tools/pktgen") .. "/?.lua;" .. package.path
local d = require("dpflib")
local count = tonumber(os.getenv("PG_SMOKE_COUNT") or "5000")
d.setup("udp")
pktgen.set("0", "size", 64)
-- one frame first: dpf resolves the gateway (its ARP goes out on its
-- control queue, pktgen's lcore 2 answers) before the counted run.
d.trial(1, 2000, 1)
pktgen.delay(1000)
local tx, rx, loss = d.trial(1, 10000, count)
d.log("smoke: sent %d received %d", tx, rx)
d.csv("smoke", 64, 1, 0, loss)
if os.getenv("PG_QUIT") ~= "0" then pktgen.quit() end
