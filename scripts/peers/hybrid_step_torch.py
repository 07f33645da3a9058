#!/usr/bin/env python3
"""DAMCAR's hybrid training step (Eq. 13-17) in PyTorch, the peer of `cascade-lab bench --model hybrid`.

Same workload as src-main/core/bench/hybrid-step.ts: the DAMCAR authors' DSSM (their DeepCTR-Torch
build) trained on L_train = BCE(logit, y_mpl) + 0.3 * mean((y_rank - sigmoid(logit))^2):
  user table 20,000 x 32; item table 40,000 x 32 and category table 50 x 32 (dense gradients,
  as DeepCTR-Torch's embeddings); a dense item vector of 64 (fixed, uniform in [0, 1));
  user tower input e_user, item tower input [e_item, e_category, x]; towers 300-300-128, each
  layer Linear -> BatchNorm1d (training mode) -> ReLU;
  logit = clamp(cos(u, v), -1, 1) + b with a trained scalar b;
  L2 1e-5 * sum(W^2) over every embedding table; Adagrad lr 0.01 on everything;
  y_mpl and y_rank uniform in [0, 1); fresh random ids and targets every step; 3 warm-up steps.
Command line and output: peer_timing.py.
"""
import torch
import torch.nn.functional as F

from peer_timing import CATEGORIES, DENSE, DIM, ITEMS, USERS, parse_args, synthetic_catalogue, time_and_report

device, threads, batches, budget = parse_args()
L2, LAMBDA3 = 1e-5, 0.3


def tower(width):
    layers = []
    for units in (300, 300, 128):
        layers += [torch.nn.Linear(width, units), torch.nn.BatchNorm1d(units), torch.nn.ReLU()]
        width = units
    return torch.nn.Sequential(*layers)


class AuthorsDssm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.users = torch.nn.Embedding(USERS, DIM)
        self.items = torch.nn.Embedding(ITEMS, DIM)
        self.categories = torch.nn.Embedding(CATEGORIES, DIM)
        self.user_tower = tower(DIM)
        self.item_tower = tower(2 * DIM + DENSE)
        self.bias = torch.nn.Parameter(torch.zeros(1))

    def forward(self, users, items, categories, dense):
        u = self.user_tower(self.users(users))
        v = self.item_tower(torch.cat([self.items(items), self.categories(categories), dense], 1))
        return F.cosine_similarity(u, v, dim=1).clamp(-1, 1) + self.bias

    def embedding_l2(self):
        return L2 * sum(t.weight.pow(2).sum() for t in (self.users, self.items, self.categories))


item_category, item_dense = synthetic_catalogue(device)

for batch in batches:
    model = AuthorsDssm().to(device)
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.01)

    def step():
        users = torch.randint(0, USERS, (batch,), device=device)
        items = torch.randint(0, ITEMS, (batch,), device=device)
        mpl = torch.rand(batch, device=device)
        rank = torch.rand(batch, device=device)
        optimizer.zero_grad()
        logits = model(users, items, item_category[items], item_dense[items])
        loss = (F.binary_cross_entropy_with_logits(logits, mpl)
                + LAMBDA3 * (rank - torch.sigmoid(logits)).pow(2).mean()
                + model.embedding_l2())
        loss.backward()
        optimizer.step()

    time_and_report(step, device, threads, batch, budget)
