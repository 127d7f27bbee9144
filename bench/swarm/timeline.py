#!/usr/bin/env python3
"""bench/swarm/timeline.py DIR PER_CELL UP_KBIT: where a swarm run's time went, second by second.

Reads DIR/timeline.txt (bench/lib/netns.sh netns_sample_ports: each node's link counters every
0.25 s) and the terminals' summaries DIR/t<k>.json. Prints one row a second from the first
terminal's start: the origin's upload, the terminals' summed upload, the share of all upload
links in use, each cell's mean received bytes (as a share of the file, Ethernet frames, so a
finished terminal shows a little over 1: headers, acknowledgements, HAVEs), and how many
terminals had finished. UP_KBIT is every upload link's rate (the origin's too); upload in
use below 1 is capacity the fluid bound counts and the run did not use.
"""
import glob
import json
import os
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    run, per_cell, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) / 8  # kB/s
    summaries = {}
    for path in glob.glob(os.path.join(run, "t*.json")):
        with open(path) as f:
            summaries[os.path.basename(path)[:-5]] = json.load(f)
    if not summaries:
        sys.exit(f"timeline: no terminal summaries in {run}")
    start = min(s["started_ms"] for s in summaries.values()) / 1000
    size = next(iter(summaries.values()))["size"]
    done = sorted(s["finished_ms"] / 1000 - start for s in summaries.values() if s.get("finished_ms"))
    terminals = sorted(summaries, key=lambda t: int(t[1:]))
    cells = sorted({(int(t[1:]) - 1) // per_cell + 1 for t in terminals})

    samples = []
    with open(os.path.join(run, "timeline.txt")) as f:
        for line in f:
            fields = line.split()
            links = {}
            for node in fields[1:]:
                role, sent, received = node.split(":")
                links[role] = (int(sent), int(received))
            if "org" in links and all(t in links for t in terminals):
                samples.append((float(fields[0]) - start, links))
    links_up = len(terminals) + 1
    print("   t  origin_up_kBps  terminals_up_kBps  upload_in_use  "
          + "  ".join(f"cell{c}_received" for c in cells) + "  finished")
    second, j = 1, 0
    for t1, l1 in samples:
        if t1 < second:
            continue
        second = int(t1) + 1
        while samples[j][0] < t1 - 1:  # the sample about a second before
            j += 1
        t0, l0 = samples[j]
        if t1 - t0 < 0.5:
            continue
        dt = t1 - t0
        origin = (l1["org"][0] - l0["org"][0]) / dt / 1e3
        up = sum(l1[t][0] - l0[t][0] for t in terminals) / dt / 1e3
        received = []
        for c in cells:
            mine = [t for t in terminals if (int(t[1:]) - 1) // per_cell + 1 == c]
            received.append(sum(l1[t][1] for t in mine) / len(mine) / size)
        finished = sum(1 for d in done if d <= t1)
        print(f"{t1:4.0f}  {origin:14.0f}  {up:17.0f}  {(origin + up) / (links_up * rate):13.2f}  "
              + "  ".join(f"{r:14.3f}" for r in received) + f"  {finished:8d}")
    print(f"finished (s after the first start): {', '.join(f'{d:.1f}' for d in done)}")

if __name__ == "__main__":
    main()
