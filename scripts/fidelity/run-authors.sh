#!/usr/bin/env bash
# Reproduce the DAMCAR reference numbers with the authors' own code (ljy2222/DAMCAR).
# Their code goes to a scratch folder outside this repository; only their config is edited (sed).
# Usage: scripts/fidelity/run-authors.sh [SCRATCH] [SEEDS...]
#   env MIRROR (bare git dir of their repo), DATA_ROOT (folder with wechat-default/ and wechat-s7/,
#   made with /work/shared/fidelity/gen_wechat_like.py, see README.md), PY (python with torch 1.13,
#   pandas, networkx, faiss, sklearn; Debian's /usr/bin/python3).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SCRATCH=${1:-/work/scratch/authors}; shift || true
SEEDS=${*:-1 2 3}
MIRROR=${MIRROR:-/work/.mirror/ljy2222+DAMCAR/repo}
DATA_ROOT=${DATA_ROOT:-/work/scratch/fidelity}
PY=${PY:-/usr/bin/python3}
CODE=$SCRATCH/code
OUT=$SCRATCH/runs.jsonl

# 1. export their snapshot (HEAD of the mirror) outside the repository
if [ ! -f "$CODE/config.py" ]; then
  mkdir -p "$CODE"
  git --git-dir="$MIRROR" archive HEAD | tar -x -C "$CODE"
fi
# 2. config edits only: ROOT_PATH from $DAMCAR_ROOT (set per dataset by the launcher), CPU only
sed -i "s|self.ROOT_PATH = '/your/data/path/wechat/'|self.ROOT_PATH = os.environ['DAMCAR_ROOT']|" "$CODE/config.py"
sed -i "s|use_cuda = True|use_cuda = False|" "$CODE/config.py"
grep -q "os.environ\['DAMCAR_ROOT'\]" "$CODE/config.py"

# 3. per dataset: data preparation + target-domain generation once, then every seed (sequential)
declare -A GEN_ARGS=([wechat-default]="" [wechat-s7]="--seed 7 --users 3000 --feeds 7000 --actions 220000")
for ds in wechat-default wechat-s7; do
  $PY "$HERE/authors_launcher.py" --code "$CODE" --data "$DATA_ROOT/$ds" --work "$SCRATCH/work/$ds" \
      --stage all --seeds $SEEDS --out "$OUT"
  $PY "$HERE/authors_launcher.py" --stage reference --data "$DATA_ROOT/$ds" --out "$OUT" \
      --gen-args="${GEN_ARGS[$ds]}" --mirror "$MIRROR" --ref-out "$HERE/reference-$ds.json"
done
# Runs whose DSSM collapsed are listed under "dropped"; rerun with more seeds
# (--stage seed --seeds 4 5) and re-aggregate (--stage reference) to get 3 kept runs per method.
