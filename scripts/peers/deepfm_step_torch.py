#!/usr/bin/env python3
"""The ranking step's peer: one DeepFM training step in PyTorch.

Same workload as `cascade-lab bench --model deepfm` (src-main/core/bench/deepfm-step.ts):
  sparse fields user (20,000 rows), item (40,000), category (50 values, fixed per item), embedding
  dim 32, and a 1-wide first-order table per field (sparse gradients); a dense item vector of 64
  (fixed, uniform in [0, 1)) with first-order weights [64, 1];
  logit = sum of first-order weights + <w_x, x> + FM second order over the three fields
          + DNN([e_user, e_item, e_category, x]) with units 256-128 (ReLU) and a linear unit;
  binary cross-entropy with logits on random labels (30% positive), Adagrad lr 0.01 on everything,
  fresh random ids each step; 3 warm-up steps, then steps for the time budget.
Command line and output: peer_timing.py.
"""
import torch

from peer_timing import CATEGORIES, DENSE, DIM, ITEMS, USERS, parse_args, synthetic_catalogue, time_and_report

device, threads, batches, budget = parse_args()


class DeepFM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        sizes = (USERS, ITEMS, CATEGORIES)
        self.embeddings = torch.nn.ModuleList(torch.nn.Embedding(n, DIM, sparse=True) for n in sizes)
        self.first_order = torch.nn.ModuleList(torch.nn.Embedding(n, 1, sparse=True) for n in sizes)
        self.dense_first_order = torch.nn.Linear(DENSE, 1, bias=False)
        self.dnn = torch.nn.Sequential(
            torch.nn.Linear(3 * DIM + DENSE, 256), torch.nn.ReLU(),
            torch.nn.Linear(256, 128), torch.nn.ReLU(),
            torch.nn.Linear(128, 1))

    def forward(self, ids, dense):
        fields = [table(i) for table, i in zip(self.embeddings, ids)]
        linear = sum(table(i) for table, i in zip(self.first_order, ids)).squeeze(1)
        linear = linear + self.dense_first_order(dense).squeeze(1)
        stacked = torch.stack(fields, 1)
        fm = 0.5 * (stacked.sum(1).pow(2) - stacked.pow(2).sum(1)).sum(1)
        deep = self.dnn(torch.cat(fields + [dense], 1)).squeeze(1)
        return linear + fm + deep


item_category, item_dense = synthetic_catalogue(device)

for batch in batches:
    model = DeepFM().to(device)
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.01)

    def step():
        users = torch.randint(0, USERS, (batch,), device=device)
        items = torch.randint(0, ITEMS, (batch,), device=device)
        labels = (torch.rand(batch, device=device) < 0.3).float()
        optimizer.zero_grad()
        logits = model((users, items, item_category[items]), item_dense[items])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        loss.backward()
        optimizer.step()

    time_and_report(step, device, threads, batch, budget)
