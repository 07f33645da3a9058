#!/usr/bin/env python3
"""The speed benchmark's peer: one DSSM training step in PyTorch (the DAMCAR authors' stack).

Same workload as `cascade-lab bench` (src-main/core/bench/dssm-step.ts) and as
shared/bench/dssm_step_torch.py:
  user table 20,000 x 128 and item table 40,000 x 128 (sparse gradients),
  each tower 128 -> 300 -> 200 -> 100 with ReLU after every layer,
  score = dot(user, item), binary cross-entropy with logits on random labels (30% positive),
  Adagrad lr 0.01 on everything, fresh random ids each step; 3 warm-up steps, then steps for
  the time budget.
Prints one JSON line per batch size:
  {"peer": "torch-<device>", "batch": B, "threads": T, "samples_per_s": X, "torch": version}

Usage: dssm_step_torch.py [cpu|cuda] [threads] [batch,batch,...] [seconds-per-size]
"""
import json
import sys
import time
import warnings

import torch

# Adagrad on sparse gradients warns once that invariant checks are off; it is not our concern.
warnings.filterwarnings("ignore", message="Sparse invariant checks")

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
threads = int(sys.argv[2]) if len(sys.argv) > 2 else torch.get_num_threads()
batches = [int(b) for b in (sys.argv[3] if len(sys.argv) > 3 else "512,4096").split(",")]
budget = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
torch.set_num_threads(threads)
torch.manual_seed(0)
USERS, ITEMS, DIM = 20000, 40000, 128


def tower():
    layers, width = [], DIM
    for units in (300, 200, 100):
        layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
        width = units
    return torch.nn.Sequential(*layers)


def synchronize():
    if device == "cuda":
        torch.cuda.synchronize()


for batch in batches:
    user_table = torch.nn.Embedding(USERS, DIM, sparse=True).to(device)
    item_table = torch.nn.Embedding(ITEMS, DIM, sparse=True).to(device)
    user_tower, item_tower = tower().to(device), tower().to(device)
    parameters = [*user_table.parameters(), *item_table.parameters(),
                  *user_tower.parameters(), *item_tower.parameters()]
    optimizer = torch.optim.Adagrad(parameters, lr=0.01)

    def step():
        users = torch.randint(0, USERS, (batch,), device=device)
        items = torch.randint(0, ITEMS, (batch,), device=device)
        labels = (torch.rand(batch, device=device) < 0.3).float()
        optimizer.zero_grad()
        logits = (user_tower(user_table(users)) * item_tower(item_table(items))).sum(1)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        loss.backward()
        optimizer.step()

    for _ in range(3):
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
                      "samples_per_s": round(steps * batch / seconds), "torch": torch.__version__}),
          flush=True)
