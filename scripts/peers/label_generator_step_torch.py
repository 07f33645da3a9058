#!/usr/bin/env python3
"""DAMCAR's label generator step (Eq. 4-11) in PyTorch, the peer of `cascade-lab bench --model label-generator`.

Same workload as src-main/core/bench/label-generator-step.ts (the DAMCAR testbed's defaults):
  user table 20,000 x 32, item table 40,000 x 32, category table 50 x 32 (sparse gradients and
  Adagrad); a dense item vector of 64 (fixed, uniform in [0, 1)); x = [e_user, e_item, e_category,
  dense]; encoder E 300-200-100 and transformation g 128-100, ReLU on every layer; label head Phi
  and domain classifier Psi one linear unit each;
  each row is a target-domain row with probability 0.26, source labels 1 with probability 0.3;
  Phi and Psi read g(E(x)) on source rows and E(x) on target rows;
  L_ce = BCE(Phi, y) on source rows; L_sup = BCE(Phi, y_tea) on target rows, y_tea from the EMA
  teacher (E_tea, Phi_tea and its own tables) without gradient; L_dom with the bounded adversary:
  Psi learns Eq. 8 on the features detached, and the features get the reversed gradient of Eq. 8
  on a frozen copy of Psi with its logits clipped at 0 on the fooled side;
  minimise L_ce + 0.5 L_sup + 0.2 L_dom; Adagrad lr 0.01 on everything; then Eq. 9, alpha 0.99:
  the teacher's E and Phi move towards the student's, and its tables' rows of the batch.
  Fresh random ids, domains and labels every step; 3 warm-up steps.
Work this peer leaves out and Cascade Lab does: g runs on the source rows only here (on every row
there, for fixed matmul shapes); the teacher's table rows outside the batch are not caught up here
(Cascade Lab's lazy EMA brings a row up to date when it is next read). Both favour the peer.
Command line and output: peer_timing.py.
"""
import copy

import torch
import torch.nn.functional as F

from peer_timing import CATEGORIES, DENSE, DIM, ITEMS, USERS, parse_args, synthetic_catalogue, time_and_report

device, threads, batches, budget = parse_args()
TARGET_SHARE, POSITIVE_RATE = 0.26, 0.3
ALPHA, LAMBDA1, LAMBDA2 = 0.99, 0.5, 0.2


def mlp(width, units):
    layers = []
    for u in units:
        layers += [torch.nn.Linear(width, u), torch.nn.ReLU()]
        width = u
    return torch.nn.Sequential(*layers)


class Reverse(torch.autograd.Function):
    """Gradient reversal: identity forward, negated gradient backward."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Inputs(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.users = torch.nn.Embedding(USERS, DIM, sparse=True)
        self.items = torch.nn.Embedding(ITEMS, DIM, sparse=True)
        self.categories = torch.nn.Embedding(CATEGORIES, DIM, sparse=True)

    def forward(self, users, items, categories, dense):
        return torch.cat([self.users(users), self.items(items), self.categories(categories), dense], 1)


def bce(logits, targets):
    return F.binary_cross_entropy_with_logits(logits, targets) if logits.numel() else logits.sum()


def softplus_mean(x):
    return F.softplus(x).mean() if x.numel() else x.sum()


item_category, item_dense = synthetic_catalogue(device)

for batch in batches:
    inputs = Inputs().to(device)
    encoder = mlp(3 * DIM + DENSE, (300, 200, 100)).to(device)
    transform = mlp(100, (128, 100)).to(device)
    label_head = torch.nn.Linear(100, 1).to(device)
    domain_head = torch.nn.Linear(100, 1).to(device)
    student = torch.nn.ModuleList([inputs, encoder, transform, label_head, domain_head])
    teacher_inputs, teacher_encoder, teacher_head = (copy.deepcopy(m) for m in (inputs, encoder, label_head))
    for p in [*teacher_inputs.parameters(), *teacher_encoder.parameters(), *teacher_head.parameters()]:
        p.requires_grad_(False)
    dense_pairs = list(zip([*teacher_encoder.parameters(), *teacher_head.parameters()],
                           [*encoder.parameters(), *label_head.parameters()]))
    table_pairs = [(t.weight, s.weight) for t, s in zip(
        (teacher_inputs.users, teacher_inputs.items, teacher_inputs.categories),
        (inputs.users, inputs.items, inputs.categories))]
    optimizer = torch.optim.Adagrad(student.parameters(), lr=0.01)

    def step():
        users = torch.randint(0, USERS, (batch,), device=device)
        items = torch.randint(0, ITEMS, (batch,), device=device)
        target = torch.rand(batch, device=device) < TARGET_SHARE
        order = torch.argsort(target.to(torch.int8), stable=True)  # source rows first
        users, items, n_source = users[order], items[order], int((~target).sum())
        categories = item_category[items]
        labels = (torch.rand(n_source, device=device) < POSITIVE_RATE).float()
        dense = item_dense[items]
        with torch.no_grad():
            x_teacher = teacher_inputs(users[n_source:], items[n_source:], categories[n_source:], dense[n_source:])
            teacher_probs = torch.sigmoid(teacher_head(teacher_encoder(x_teacher))).squeeze(1)
        optimizer.zero_grad()
        z = encoder(inputs(users, items, categories, dense))
        h = torch.cat([transform(z[:n_source]), z[n_source:]])
        label_logits = label_head(h).squeeze(1)
        ce = bce(label_logits[:n_source], labels)
        sup = bce(label_logits[n_source:], teacher_probs)
        own = domain_head(h.detach()).squeeze(1)
        classifier = softplus_mean(-own[:n_source]) + softplus_mean(own[n_source:])
        frozen = F.linear(Reverse.apply(h), domain_head.weight.detach(), domain_head.bias.detach()).squeeze(1)
        extractor = softplus_mean(-frozen[:n_source].clamp(min=0)) + softplus_mean(frozen[n_source:].clamp(max=0))
        dom = classifier + (extractor - extractor.detach())
        (ce + LAMBDA1 * sup + LAMBDA2 * dom).backward()
        optimizer.step()
        with torch.no_grad():
            teacher, student_ = zip(*dense_pairs)
            torch._foreach_mul_(teacher, ALPHA)
            torch._foreach_add_(teacher, student_, alpha=1 - ALPHA)
            for (t, s), ids in zip(table_pairs, (users, items, categories)):
                rows = torch.unique(ids)
                t[rows] = ALPHA * t[rows] + (1 - ALPHA) * s[rows]

    time_and_report(step, device, threads, batch, budget)
