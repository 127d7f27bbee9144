-- wrk script for the DESIGN.md §6 anchor (opentracker, wrk -t1 -c32): announces for random peers
-- of the same workload as tracker_load --plain (info-hashes from wrk-hashes.txt in the working
-- directory, BENCH_PEERS peers, peer p in swarm p % swarms on port 1025 + p / swarms, a fifth
-- of every swarm seeders).
local hashes = {}
for line in io.lines("wrk-hashes.txt") do
  hashes[#hashes + 1] = (line:gsub("..", function(b) return "%" .. b end))
end
local peers = tonumber(os.getenv("BENCH_PEERS") or "50000")
local n = 0
math.randomseed(os.time())

request = function()
  n = n + 1
  local p = math.random(0, peers - 1)
  local path = "/announce?info_hash=" .. hashes[(p % #hashes) + 1]
    .. "&peer_id=-BN0001-" .. string.format("%012d", p)
    .. "&port=" .. (1025 + math.floor(p / #hashes) % 64000)
    .. "&uploaded=" .. (n * 16384) .. "&downloaded=" .. (n * 16384)
    .. "&left=" .. ((math.floor(p / #hashes) % 5 == 0) and 0 or 1000000) .. "&compact=1&numwant=50"
  return wrk.format("GET", path)
end
