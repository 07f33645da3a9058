#!/usr/bin/env python3
"""What graph execution would give DAMCAR's hybrid step: the workload of
scripts/peers/hybrid_step_torch.py (and of `cascade-lab bench --model hybrid`) written in
TensorFlow 2.21 and run eagerly or as one `tf.function` graph per step.

A measurement for the README's "What stands in the way", not a peer: Cascade Lab's `tensorflow`
backend runs the same TensorFlow kernels one eager op at a time through tfjs-node, and this shows
how much of its step is that dispatch. Run it with the Python environment `cascade-lab setup
tensorflow` made (it has tensorflow-cpu):

  ~/.local/share/cascade-lab/python-env/bin/python scripts/measurements/hybrid_step_tf_graph.py \
      [threads] [function|eager] [batch] [dense|sparse]

dense: as the torch peer, every embedding table gets its dense gradient, its Adagrad update and
the L2 1e-5 on every row each step. sparse: the tables' gradients are the gathered rows
(ResourceSparseApplyAdagradV2) and the embedding L2 is left out, which is the work left on
Cascade Lab's training thread once its L2 thread takes the rows' L2 steps (core/tf/embedding-l2.ts).
Towers 300-300-128 with Linear -> BatchNorm (training, TensorFlow's fused kernel) -> ReLU, score
clamp(cos(u, v), -1, 1) + b, loss BCE(logit, y_mpl) + 0.3 mean((y_rank - sigmoid(logit))^2),
Adagrad lr 0.01; 3 warm-up steps, then 5 s. Prints one JSON line.
"""
import json
import sys
import time

import tensorflow as tf

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
mode = sys.argv[2] if len(sys.argv) > 2 else "function"
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 512
sparse = len(sys.argv) > 4 and sys.argv[4] == "sparse"
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(1)

USERS, ITEMS, CATEGORIES, DIM, DENSE = 20000, 40000, 50, 32, 64
L2, LAMBDA3, SECONDS = 1e-5, 0.3, 5.0
rng = tf.random.Generator.from_seed(0)
item_category = rng.uniform([ITEMS], 0, CATEGORIES, dtype=tf.int32)
item_dense = rng.uniform([ITEMS, DENSE])


def weights(shape):
    return tf.Variable(rng.normal(shape) * 0.05)


tables = [weights([USERS, DIM]), weights([ITEMS, DIM]), weights([CATEGORIES, DIM])]


def tower(width):
    layers = []
    for units in (300, 300, 128):
        layers.append({"w": weights([width, units]), "b": tf.Variable(tf.zeros([units])),
                       "gamma": tf.Variable(tf.ones([units])), "beta": tf.Variable(tf.zeros([units])),
                       "mean": tf.Variable(tf.zeros([units]), trainable=False),
                       "var": tf.Variable(tf.ones([units]), trainable=False)})
        width = units
    return layers


user_tower, item_tower = tower(DIM), tower(2 * DIM + DENSE)
bias = tf.Variable(tf.zeros([1]))
params = tables + [bias] + [layer[k] for t in (user_tower, item_tower) for layer in t
                            for k in ("w", "b", "gamma", "beta")]
accumulators = [tf.Variable(tf.zeros(p.shape)) for p in params]


def apply_tower(layers, x):
    for layer in layers:
        z = tf.matmul(x, layer["w"]) + layer["b"]
        units = z.shape[1]
        y = tf.raw_ops.FusedBatchNormV3(
            x=tf.reshape(z, [-1, 1, 1, units]), scale=layer["gamma"], offset=layer["beta"],
            mean=layer["mean"], variance=layer["var"], epsilon=1e-5, exponential_avg_factor=0.1,
            is_training=True)[0]
        x = tf.nn.relu(tf.reshape(y, [-1, units]))
    return x


def step(users, items, mpl, rank):
    with tf.GradientTape() as tape:
        u = apply_tower(user_tower, tf.gather(tables[0], users))
        v = apply_tower(item_tower, tf.concat([tf.gather(tables[1], items),
                                               tf.gather(tables[2], tf.gather(item_category, items)),
                                               tf.gather(item_dense, items)], 1))
        cos = tf.reduce_sum(tf.nn.l2_normalize(u, 1) * tf.nn.l2_normalize(v, 1), 1)
        logits = tf.clip_by_value(cos, -1.0, 1.0) + bias
        loss = (tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=mpl, logits=logits))
                + LAMBDA3 * tf.reduce_mean(tf.square(rank - tf.sigmoid(logits))))
        if not sparse:
            loss += L2 * tf.add_n([tf.reduce_sum(tf.square(t)) for t in tables])
    for p, acc, grad in zip(params, accumulators, tape.gradient(loss, params)):
        if sparse and isinstance(grad, tf.IndexedSlices):
            tf.raw_ops.ResourceSparseApplyAdagradV2(var=p.handle, accum=acc.handle, lr=0.01,
                                                    epsilon=1e-10, grad=grad.values, indices=grad.indices)
        else:
            tf.raw_ops.ResourceApplyAdagradV2(var=p.handle, accum=acc.handle, lr=0.01, epsilon=1e-10,
                                              grad=tf.convert_to_tensor(grad))
    return loss


run = tf.function(step) if mode == "function" else step


def batch_inputs():
    return (rng.uniform([batch], 0, USERS, dtype=tf.int32), rng.uniform([batch], 0, ITEMS, dtype=tf.int32),
            rng.uniform([batch]), rng.uniform([batch]))


for _ in range(3):
    run(*batch_inputs())
steps, start = 0, time.time()
while time.time() - start < SECONDS:
    run(*batch_inputs())
    steps += 1
print(json.dumps({"peer": f"tensorflow-{mode}", "embeddings": "sparse" if sparse else "dense", "batch": batch,
                  "threads": threads, "samples_per_s": round(steps * batch / (time.time() - start)),
                  "tensorflow": tf.__version__}), flush=True)
