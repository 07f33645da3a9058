#!/usr/bin/env python3
"""The speed benchmark's peer: one DSSM training step in PyTorch (the DAMCAR authors' stack).

Same workload as `cascade-lab bench` (src-main/core/bench/dssm-step.ts) and as
shared/bench/dssm_step_torch.py:
  user table 20,000 x 128 and item table 40,000 x 128 (sparse gradients),
  each tower 128 -> 300 -> 200 -> 100 with ReLU after every layer,
  score = dot(user, item), binary cross-entropy with logits on random labels (30% positive),
  Adagrad lr 0.01 on everything, fresh random ids each step; 3 warm-up steps, then steps for
  the time budget.
Command line and output: peer_timing.py.
"""
import torch

from peer_timing import parse_args, time_and_report

device, threads, batches, budget = parse_args()
USERS, ITEMS, DIM = 20000, 40000, 128


def tower():
    layers, width = [], DIM
    for units in (300, 200, 100):
        layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
        width = units
    return torch.nn.Sequential(*layers)


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

    time_and_report(step, device, threads, batch, budget)
