#!/usr/bin/python3
"""Run the DAMCAR authors' code (the public repository ljy2222/DAMCAR) to get reference numbers.

Their code is NOT copied here: --code points at an exported snapshot of it. The only edit to
their files is their config (ROOT_PATH read from $DAMCAR_ROOT, CUDA off); run-authors.sh does it
with sed. Everything else lives in this launcher, which imports their modules and calls their
own functions. What it changes relative to their scripts, and why:

  1. Seed swap. Every model constructor of theirs calls torch.manual_seed(1024) (their config
     SEED only seeds the PCA), so all their runs are identical. To get a spread over seeds we
     wrap torch.manual_seed so that 1024 is replaced by --seed. Nothing else about seeding.
  2. BC baseline. Their repository has no BC script. BC = their DSSM trained exactly as in the
     second stage of train_DAMCAR.py (batch 512, 3 epochs, adagrad, l2_reg_embedding=1e-5) but
     on train_set.csv with its own label only: no target-domain samples, lambda3 = 0 (no
     consistency term; y2 is a zero vector multiplied by 0).
  3. Evaluation. A copy of their evaluation.test_main with ONE fix: they read row i of the faiss
     result for the i-th user WITH test positives, but the rows are the test users in
     test_set order, so every user after the first test user without positives got another
     user's list. We look the row up by userid. Everything else is theirs: test-split feeds are
     the corpus (IndexFlatIP on raw tower outputs), K1 = 100, 200, DeepFM re-ranks the K1
     candidates, K2 = K1/10, utils.cal_ndcg_map_hr ("HR@K" = hits/K), F from rounded R and P.
     (Only addition: F = 0 where R + P = 0, where theirs divides by zero.)
  4. Collapse detection (our addition): the DSSM towers end in ReLU; on some seeds user and
     item outputs land on disjoint dimensions, every score is 0 and retrieval returns the
     corpus in file order. We flag a run collapsed when max |user . item| over all test users
     and corpus feeds is < 1e-6 (disjoint), or when the DSSM test AUC is < 0.51 (near-disjoint:
     1-3 shared dimensions with tiny scores, retrieval ~ file order, same R@K as the disjoint
     case). Shared dimensions, max score and DSSM test AUC are recorded for every run.
  5. One thread: torch.set_num_threads(1), BLAS/OpenMP/faiss at 1 thread (--threads N for
     timing their code beside ours on N cores; the reference numbers were made with 1).

Stages: prep (their process_mm_features_wechat + prepare_data_wechat, run as __main__),
tdg (their target_domain_generation.py as __main__), seed (DeepFM, ranking scores, BC, DAMCAR,
fixed evaluation for each --seeds), all (= prep, tdg, seed), reference (aggregate JSONL into the
reference JSON). One JSON line per stage/run is appended to --out.
"""
import argparse, contextlib, hashlib, io, json, os, re, runpy, sys, time

THREAD_VARIABLES = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')

METRICS = ['R@100', 'P@100', 'F@100', 'R@200', 'P@200', 'F@200',
           'N@10', 'M@10', 'H@10', 'N@20', 'M@20', 'H@20']


class Tee(io.TextIOBase):
    """Copy stdout into a buffer so we can read numbers their functions only print."""
    def __init__(self, out): self.out, self.buf = out, io.StringIO()
    def write(self, s): self.out.write(s); self.buf.write(s); return len(s)
    def flush(self): self.out.flush()


def call_capturing(fn, *a):
    tee = Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        fn(*a)
    return tee.buf.getvalue()


def emit(path, rec):
    print('JSON ' + json.dumps(rec), flush=True)
    with open(path, 'a') as fh:
        fh.write(json.dumps(rec) + '\n')


def setup(code, work, threads):
    os.environ['DAMCAR_ROOT'] = os.path.abspath(work) + '/'   # their code concatenates ROOT + name
    for v in THREAD_VARIABLES:   # before torch, numpy and faiss load their thread pools
        os.environ[v] = str(threads)
    sys.path.insert(0, os.path.abspath(code))
    import torch, faiss
    torch.set_num_threads(threads)
    faiss.omp_set_num_threads(threads)
    from config import Config
    conf = Config('WeChat')
    assert conf.ROOT_PATH == os.environ['DAMCAR_ROOT'] and conf.device == 'cpu', 'config not edited'
    return conf


def swap_seed(seed):
    """Their constructors call torch.manual_seed(1024); make that manual_seed(seed)."""
    import torch
    orig = getattr(torch, '_orig_manual_seed', torch.manual_seed)
    torch._orig_manual_seed = orig
    torch.manual_seed = lambda s: orig(seed if s == 1024 else s)


def run_script(code, rel):
    sys.argv = [rel]
    runpy.run_path(os.path.join(code, rel), run_name='__main__')


def stage_prep(a, conf):
    import pandas as pd
    os.makedirs(conf.DATA_PATH, exist_ok=True)
    for f in ('user_action.csv', 'feed_info.csv', 'feed_embeddings.csv'):
        dst = os.path.join(conf.DATA_PATH, f)
        if not os.path.exists(dst):
            os.symlink(os.path.abspath(os.path.join(a.data, f)), dst)
    t = time.time()
    run_script(a.code, 'preprocessing/process_mm_features_wechat.py')
    run_script(a.code, 'preprocessing/prepare_data_wechat.py')
    r = conf.ROOT_PATH
    tr, va, te = (pd.read_csv(r + f'{s}_set.csv', usecols=['userid', 'feedid', 'label']) for s in ('train', 'valid', 'test'))
    emit(a.out, {'stage': 'prep', 'data': a.data, 'threads': a.threads, 'seconds': round(time.time() - t, 1),
                 'rows': [len(tr), len(va), len(te)], 'posRate': [round(x.label.mean(), 4) for x in (tr, va, te)],
                 'evalUsers': int(te[te.label == 1].userid.nunique()), 'testUsers': int(te.userid.nunique()),
                 'corpusFeeds': int(te.feedid.nunique())})


def stage_tdg(a, conf):
    import pandas as pd
    t = time.time()
    run_script(a.code, 'target_domain_generation.py')
    p = conf.ROOT_PATH + 'target_domain_samples.csv'
    df = pd.read_csv(p)
    emit(a.out, {'stage': 'tdg', 'data': a.data, 'threads': a.threads, 'seconds': round(time.time() - t, 1), 'samples': len(df),
                 'users': int(df.userid.nunique()), 'sha256': hashlib.sha256(open(p, 'rb').read()).hexdigest()})


def feature_columns(conf):
    import pickle
    from preprocessing.inputs import SparseFeat, DenseFeat
    with open(os.path.join(conf.ROOT_PATH, 'feat_nunique.pkl'), 'rb') as fh:
        nun = pickle.load(fh)
    sp = lambda feats: [SparseFeat(f, vocabulary_size=nun[f], embedding_dim=conf.EMBED_DIMENSIONS) for f in feats]
    dn = lambda feats: [DenseFeat(f, dimension=1) for f in feats]
    return sp(conf.user_sparse_features), sp(conf.item_sparse_features) + dn(conf.item_dense_features), \
        sp(conf.sparse_features) + dn(conf.dense_features)


def train_bc(conf):
    """Their DSSM stage of train_DAMCAR.py, on train_set.csv with its own label, lambda3 = 0."""
    import numpy as np, pandas as pd, torch
    from model.dssm import DSSM
    from preprocessing.inputs import get_feature_names
    train = pd.read_csv(conf.ROOT_PATH + 'train_set.csv')[['userid', 'feedid'] + conf.FEAT_LIST]
    valid = pd.read_csv(conf.ROOT_PATH + 'valid_set.csv')[['userid', 'feedid'] + conf.FEAT_LIST]
    ucols, icols, allcols = feature_columns(conf)
    names = get_feature_names(allcols + allcols)
    model = DSSM(ucols, icols, task='binary', l2_reg_embedding=1e-5, device=conf.device)
    model.compile('adagrad', 'binary_crossentropy', metrics=['auc', 'binary_crossentropy'], lambda3=0.0)
    model.fit({n: train[n] for n in names}, train['label'].values, y2=np.zeros(len(train)), batch_size=512,
              epochs=3, verbose=1, validation_data=[{n: valid[n] for n in names}, valid[conf.target].values])
    torch.save(model.state_dict(), conf.ROOT_PATH + 'model_dssm_BC_deepfm.pt')


def collapse_reason(d):
    """'' if healthy, else why the DSSM counts as collapsed (see 4. above)."""
    if d['maxAbsScore'] < 1e-6 or d['dssmTestAuc'] < 0.51:
        return (f"collapsed: max |user.item| = {d['maxAbsScore']:.2g}, {d['sharedDims']} shared nonzero dims "
                f"of {d['dims']}, DSSM test AUC {d['dssmTestAuc']}")
    return ''


def evaluate(conf, method, ranking='deepfm'):
    """evaluation.test_main with the user-row alignment fixed, returning the metrics."""
    import pickle, faiss, numpy as np, pandas as pd, torch
    from sklearn.metrics import roc_auc_score
    from utils import cal_ndcg_map_hr
    from model.dssm import DSSM
    from model.deepfm import DeepFM
    from preprocessing.inputs import get_feature_names
    ucols, icols, allcols = feature_columns(conf)
    names2 = get_feature_names(allcols + allcols)
    test_set = pd.read_csv(conf.ROOT_PATH + 'test_set.csv')[['userid', 'feedid'] + conf.FEAT_LIST]
    gt_list = test_set[test_set['label'] == 1].groupby('userid')['feedid'].agg(list).reset_index(name='feedid_list')
    with open(conf.ROOT_PATH + 'test_true_label.pkl', 'rb') as fh:
        true = pickle.load(fh)
    retrieval = DSSM(ucols, icols, task='binary', l2_reg_embedding=1e-5, device=conf.device)
    retrieval.load_state_dict(torch.load(conf.ROOT_PATH + f'model_dssm_{method}_{ranking}.pt'))
    ranker = DeepFM(allcols, allcols, task='binary', l2_reg_embedding=1e-5, device=conf.device)
    ranker.load_state_dict(torch.load(conf.ROOT_PATH + f'model_{ranking}.pt'))
    trained = retrieval.state_dict()

    def tower(u, i, profile, feats):
        m = DSSM(u, i, task='binary', device=conf.device)
        m.load_state_dict({k: trained[k] for k in m.state_dict()})
        return m.predict({n: profile[n] for n in feats}, batch_size=2000).astype('float32')
    user_profile = test_set[['userid'] + conf.user_sparse_features].drop_duplicates('userid')
    user_embs = tower(ucols, [], user_profile, conf.user_sparse_features)
    item_feats = conf.item_sparse_features + conf.item_dense_features
    item_profile = test_set[['feedid'] + item_feats].drop_duplicates('feedid')
    item_embs = tower([], icols, item_profile, item_feats)
    row_of = {u: i for i, u in enumerate(user_profile['userid'].values)}        # THE FIX
    feeds = item_profile['feedid'].values

    # collapse diagnostics (our addition)
    max_abs = float(np.abs(user_embs @ item_embs.T).max())
    shared = int(((user_embs != 0).any(0) & (item_embs != 0).any(0)).sum())
    dssm_auc = float(roc_auc_score(test_set['label'].values,
                                   retrieval.predict({n: test_set[n] for n in retrieval.feature_index}, 2000)))
    user_features = pd.read_csv(conf.ROOT_PATH + 'user_features.csv')
    feed_features = pd.read_csv(conf.ROOT_PATH + 'feed_features.csv')
    out = {}
    for K1 in [100, 200]:
        index = faiss.IndexFlatIP(user_embs.shape[1])
        index.add(item_embs)
        _, I = index.search(user_embs, K1)
        cands, recalls, precisions = {}, 0, 0
        for uid in gt_list['userid']:
            pred = list(feeds[I[row_of[uid]]])
            cands[uid] = pred
            hit = len(set(pred[:K1]) & set(true[uid])) * 1.0
            recalls += hit / len(true[uid])
            precisions += hit / K1
        recall = round(recalls / len(gt_list), 4)
        precision = round(precisions / len(gt_list), 4)
        f1 = round(2 * (recall * precision) / (recall + precision), 4) if recall + precision > 0 else 0.0
        test = pd.DataFrame([(u, f) for u, fs in cands.items() for f in fs], columns=['userid', 'feedid'])
        test = pd.merge(test, user_features, on='userid', how='left')
        test = pd.merge(test, feed_features, on='feedid', how='left')
        test['score'] = pd.DataFrame(ranker.predict({n: test[n] for n in names2}, 128), columns=['score'])
        test = test.sort_values(by='score', ascending=False).reset_index(drop=True)
        K2 = int(K1 / 10)
        top = test.groupby('userid').head(K2).groupby('userid')['feedid'].agg(list).to_dict()
        ndcg, mapk, hr = cal_ndcg_map_hr(true, top, K2)
        out.update({f'R@{K1}': recall, f'P@{K1}': precision, f'F@{K1}': f1,
                    f'N@{K2}': float(ndcg), f'M@{K2}': float(mapk), f'H@{K2}': float(hr)})
    diag = {'maxAbsScore': max_abs, 'sharedDims': shared, 'dims': int(user_embs.shape[1]), 'dssmTestAuc': round(dssm_auc, 4),
            'evalUsers': len(gt_list), 'corpus': len(feeds)}
    return {k: out[k] for k in METRICS}, bool(collapse_reason(diag)), diag


def stage_seed(a, conf, seed):
    swap_seed(seed)
    from train_ranking_model import train_ranking_model
    from get_ranking_scores import get_ranking_scores
    from train_DAMCAR import DAMCAR_training
    t = time.time()
    log = call_capturing(train_ranking_model, conf, 'deepfm')
    auc = float(re.findall(r'auc: ([0-9.]+), logloss', log)[-1])
    get_ranking_scores(conf, 'deepfm')
    rank_s = round(time.time() - t, 1)
    for method in a.methods:
        t = time.time()
        if method == 'DAMCAR':   # their defaults: alpha 0.99, lambda1 0.5, lambda2 0.2, lambda3 0.3
            DAMCAR_training(conf, 'DAMCAR', 'deepfm', 0.99, 0.5, 0.2, 0.3)
        else:
            train_bc(conf)
        metrics, collapsed, diag = evaluate(conf, method)
        emit(a.out, {'stage': 'run', 'data': a.data, 'threads': a.threads, 'method': method, 'seed': seed,
                     'collapsed': bool(collapsed),
                     'metrics': metrics, 'rankingAuc': auc, 'seconds': round(time.time() - t, 1),
                     'rankingSeconds': rank_s, **diag})


def stage_reference(a):
    """Aggregate the JSONL of one dataset into the reference JSON."""
    import pandas as pd, subprocess
    recs = [json.loads(l) for l in open(a.out) if l.strip()]
    runs = [r for r in recs if r.get('stage') == 'run' and r['data'] == a.data]
    for r in runs:   # re-judge from the stored diagnostics (criterion may have been refined)
        r['collapsed'] = bool(collapse_reason(r))
    ua = pd.read_csv(os.path.join(a.data, 'user_action.csv'), usecols=['userid'])
    fi = pd.read_csv(os.path.join(a.data, 'feed_info.csv'), usecols=['feedid'])
    import torch
    commit = subprocess.check_output(['git', '--git-dir', a.mirror, 'rev-parse', 'HEAD'], text=True).strip()
    threads = sorted({r.get('threads', 1) for r in runs})   # lines from before --threads ran on one
    keep = lambda r: {k: r[k] for k in ('method', 'seed', 'collapsed', 'metrics', 'rankingAuc', 'seconds')}
    ref = {'dataset': {'generator': 'gen_wechat_like.py', 'args': a.gen_args.split(), 'users': int(ua.userid.nunique()),
                       'feeds': len(fi), 'actions': len(ua)},
           'code': {'repository': 'ljy2222/DAMCAR', 'commit': commit, 'torch': torch.__version__,
                    'threads': threads[0] if len(threads) == 1 else threads},
           'evaluation': 'test-split feeds as corpus; users aligned (their row-alignment defect fixed); '
                         'K1=100,200; K2=K1/10 on DeepFM re-ranked candidates',
           'runs': [keep(r) for r in runs if not r['collapsed']],
           'dropped': [{'method': r['method'], 'seed': r['seed'], 'why': collapse_reason(r)}
                       for r in runs if r['collapsed']]}
    with open(a.ref_out, 'w') as fh:
        json.dump(ref, fh, indent=1)
    print(f'wrote {a.ref_out}: {len(ref["runs"])} runs, {len(ref["dropped"])} dropped')
    # markdown table, mean ± sample std (ddof 1) over the kept runs
    print('| method | n | ' + ' | '.join(METRICS) + ' | ranking AUC |\n|' + ' --- |' * (len(METRICS) + 3))
    for m in ('BC', 'DAMCAR'):
        df = pd.DataFrame([dict(r['metrics'], auc=r['rankingAuc']) for r in ref['runs'] if r['method'] == m])
        if len(df):
            print(f'| {m} | {len(df)} | ' + ' | '.join(f'{df[k].mean():.4f} ± {df[k].std():.4f}' for k in METRICS + ['auc']) + ' |')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--code', help='exported snapshot of ljy2222/DAMCAR with the config edited')
    ap.add_argument('--data', required=True, help='folder with user_action.csv, feed_info.csv, feed_embeddings.csv')
    ap.add_argument('--work', help='their ROOT_PATH for this dataset (intermediate files, models)')
    ap.add_argument('--stage', choices=['prep', 'tdg', 'seed', 'all', 'reference'], default='all')
    ap.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3])
    ap.add_argument('--methods', nargs='+', default=['BC', 'DAMCAR'], choices=['BC', 'DAMCAR'])
    ap.add_argument('--out', required=True, help='JSONL file, one line appended per stage/run')
    ap.add_argument('--ref-out', help='reference JSON to write (stage reference)')
    ap.add_argument('--gen-args', default='', help='generator arguments to record, one string (stage reference): --gen-args="--seed 7"')
    ap.add_argument('--threads', type=int, default=1, help='torch, BLAS, OpenMP and faiss threads (default 1)')
    ap.add_argument('--mirror', default='/work/.mirror/ljy2222+DAMCAR/repo', help='their bare git dir (commit id)')
    a = ap.parse_args()
    a.data = os.path.abspath(a.data)
    if a.stage == 'reference':
        return stage_reference(a)
    a.code = os.path.abspath(a.code)
    os.makedirs(a.work, exist_ok=True)
    # their code writes every model/score file into ROOT_PATH: never let two processes share one
    import fcntl
    lock = open(os.path.join(a.work, '.launcher.lock'), 'w')
    fcntl.flock(lock, fcntl.LOCK_EX)
    conf = setup(a.code, a.work, a.threads)
    if a.stage in ('prep', 'all'):
        stage_prep(a, conf)
    if a.stage in ('tdg', 'all'):
        stage_tdg(a, conf)
    if a.stage in ('seed', 'all'):
        for s in a.seeds:
            stage_seed(a, conf, s)


if __name__ == '__main__':
    main()
