"""What the peer scripts share: their command line and the timing loop of `cascade-lab bench`.

Command line: <script> [cpu|cuda] [threads] [batch,batch,...] [seconds-per-size]
Timing: 3 warm-up steps, then steps while the time budget lasts (the last one may overrun it);
one JSON line per batch size:
  {"peer": "torch-<device>", "batch": B, "threads": T, "samples_per_s": X, "torch": version,
   "model": M}
where M is the workload the script times, read from its file name (<model>_step_torch.py, an
underscore for a hyphen in `cascade-lab bench --model`), so `bench --peer` can check it ran the
peer of the step it timed.
"""
import json
import os
import sys
import time
import warnings

import torch

# Adagrad on sparse gradients warns once that invariant checks are off; it is not our concern.
warnings.filterwarnings("ignore", message="Sparse invariant checks")

WARMUP_STEPS = 3
STEP_SCRIPT_SUFFIX = "_step_torch.py"


def workload_name():
    """The model of `cascade-lab bench --model` that the running script is the peer of."""
    script = os.path.basename(sys.argv[0])
    if not script.endswith(STEP_SCRIPT_SUFFIX):
        raise SystemExit(f"{script}: a peer script's name ends with {STEP_SCRIPT_SUFFIX}")
    return script[: -len(STEP_SCRIPT_SUFFIX)].replace("_", "-")


def parse_args():
    """(device, threads, batches, seconds) from sys.argv; sets torch's threads and seed."""
    device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else torch.get_num_threads()
    batches = [int(b) for b in (sys.argv[3] if len(sys.argv) > 3 else "512,4096").split(",")]
    budget = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    return device, threads, batches, budget


def time_and_report(step, device, threads, batch, budget):
    """Runs `step` as `cascade-lab bench` does and prints the batch size's JSON line."""

    def synchronize():
        if device == "cuda":
            torch.cuda.synchronize()

    for _ in range(WARMUP_STEPS):
        step()
    synchronize()
    steps, start = 0, time.time()
    while time.time() - start < budget:
        step()
        steps += 1
        if steps % 20 == 0:
            synchronize()
    synchronize()
    seconds = time.time() - start
    print(json.dumps({"peer": f"torch-{device}", "batch": batch, "threads": threads,
                      "samples_per_s": round(steps * batch / seconds), "torch": torch.__version__,
                      "model": workload_name()}),
          flush=True)


# The catalogue the DeepFM and hybrid workloads share (syntheticCatalogue in
# src-main/core/bench/deepfm-step.ts): users, items, a category per item and a dense vector.
USERS, ITEMS, CATEGORIES, DIM, DENSE = 20000, 40000, 50, 32, 64


def synthetic_catalogue(device):
    """(item_category [ITEMS], item_dense [ITEMS, DENSE]), fixed for the run."""
    item_category = torch.randint(0, CATEGORIES, (ITEMS,), device=device)
    item_dense = torch.rand(ITEMS, DENSE, device=device)
    return item_category, item_dense
