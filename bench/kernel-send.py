#!/usr/bin/env python3
"""How long the kernel takes to send a notebook's outputs: `python3 bench/kernel-send.py NB.ipynb ...`.

For each executed notebook, one cell in the elbo-lab kernel reads the notebook and publishes
every display output again (the same bundles, through the same writer the charts use), and the
client waits until the cell is idle with every message received. Reported: the outputs' bytes,
the seconds from the execute request to idle, and the median of --reps runs. The cost of
computing the outputs is left out: this is the weight of what a notebook sends.
"""
import argparse
import json
import os
import statistics
import sys
import time

from jupyter_client.manager import start_new_kernel

REPLAY = """
const fs = require('fs');
const writer = require('tslab/dist/jupyter').lastWriteDisplayData;
const nb = JSON.parse(fs.readFileSync(%s, 'utf8'));
let sent = 0;
for (const cell of nb.cells) {
  for (const output of cell.outputs || []) {
    if (output.output_type !== 'display_data' && output.output_type !== 'execute_result') continue;
    writer({ data: output.data, metadata: output.metadata || {}, transient: {} }, false);
    sent += 1;
  }
}
"""


def display_bytes(path):
    nb = json.load(open(path, encoding="utf-8"))
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])
               if o.get("output_type") in ("display_data", "execute_result")]
    return len(outputs), sum(len(json.dumps(o["data"])) for o in outputs)


def replay(kc, path):
    started = time.perf_counter()
    msg_id = kc.execute(REPLAY % json.dumps(os.path.abspath(path)))
    received = 0
    while True:
        msg = kc.get_iopub_msg(timeout=600)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "display_data":
            received += 1
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    seconds = time.perf_counter() - started
    reply = kc.get_shell_msg(timeout=60)
    if reply["content"]["status"] != "ok":
        sys.exit(f"kernel-send: the replay cell failed: {reply['content'].get('evalue')}")
    return seconds, received


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    km, kc = start_new_kernel(kernel_name="elbo-lab")
    try:
        print(f"{'notebook':50} {'outputs':>7} {'MB':>7} {'seconds (median of %d)' % args.reps:>24}")
        for path in args.notebooks:
            count, size = display_bytes(path)
            times = []
            for _ in range(args.reps):
                seconds, received = replay(kc, path)
                if received != count:
                    sys.exit(f"kernel-send: {path}: {received} of {count} outputs arrived")
                times.append(seconds)
            print(f"{path[-50:]:50} {count:7d} {size / 1e6:7.2f} {statistics.median(times):24.2f}", flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
