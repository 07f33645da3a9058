/**
 * Every command's help text, and the few constants the texts quote. Kept apart from the commands so
 * that `cascade-lab --help` and `cascade-lab <command> --help` print without importing a command's
 * implementation (the protocols, tfjs, the store): main.ts loads a command only to run it.
 * Nothing heavy may be imported here: only node built-ins and constant-only modules.
 */
import { BACKEND_CHOICES } from '../contract/api';
import { defaultDatabasePath } from '../app/paths';
import { DEFAULT_LOSS_READ_INTERVAL } from '../core/bench/defaults';
import { MAX_WASM_THREADS } from '../core/tf/threads';

/**
 * `serve` is listed with the commands but is the browser host's entry (src-main/host/main.ts, which
 * has its help), started by bin/cascade-lab.mjs.
 */
export const MAIN_HELP = `Usage: cascade-lab <command> [options]

A workbench for studying bias in cascade recommender systems.

Commands:
  run <spec.json>   Run an experiment spec, print the comparison table, store the runs
  list              List the stored runs
  methods [protocol]  List the papers' testbeds and methods with their hyper-parameters
  serve             Serve the workbench to a browser on this machine
  import <format> <path...>   Import a WeChat, TikTok or CSV dataset (stored once, reused by runs)
  bench-import      Benchmark the importer's throughput (one JSON line)
  bench             Time the DSSM training step against the PyTorch peer (JSON lines)
  bench-pipeline    Time each stage of a WeChat-sized run, with peak memory (JSON lines)
  bench-fidelity <folder> --reference FILE   BC and DAMCAR beside the authors' code's numbers
  bench-store       Write runs and curves from several processes at once; throughput and losses
  bench-queue       DAMCAR's Table 4 grid on the local pool vs 1, 2, 4 loopback queue workers
  setup tensorflow|torch   Build the native TensorFlow backend / install the benchmark's PyTorch peer
  worker --redis URL  Execute runs queued on Redis (by \`run --queue\` or the workbench) on this machine

Options:
  -h, --help        Show help (also after a command: cascade-lab run --help)

The default database is ${defaultDatabasePath()}
(set CASCADE_LAB_DATA_DIR to use another folder, or pass --db FILE).
`;

export const RUN_HELP = `Usage: cascade-lab run <spec.json> [--db FILE] [--json FILE] [--backend B] [--jobs N]
                        [--queue URL [--redis-ca FILE]]

Validates the experiment spec, runs one job per (method, seed) in worker threads with a progress
bar on stderr, prints the comparison table on stdout and stores everything in the database.

Options:
  --db FILE        SQLite database (default: ${defaultDatabasePath()})
  --json FILE      Also write the runs as JSON: {"runs":[{"method","dataset","seed","backend","metrics"}]}
  --backend B      Override the spec's backend: ${BACKEND_CHOICES.join(', ')}
  --jobs N         Runs at once (default: one per core)
  --queue URL      Queue the runs on Redis (redis://host:6379, rediss:// for TLS) for
                   \`cascade-lab worker\` processes instead of running them here; results are stored
                   here as they finish. A password is best given in CASCADE_LAB_REDIS_PASSWORD
                   rather than in the URL (command lines are visible to other users).
  --redis-ca FILE  CA certificate of a rediss:// server with a private CA
  -h, --help       Show this help

Exit codes: 0 every run finished, 1 a run failed or was cancelled, 2 bad arguments or spec,
130 interrupted (Ctrl-C cancels the runs; a second Ctrl-C quits at once).
`;

export const LIST_HELP = `Usage: cascade-lab list [--db FILE] [--experiment ID]

Lists the stored runs: id, experiment, method, seed, status, backend and key metrics.

Options:
  --db FILE          SQLite database (default: ${defaultDatabasePath()})
  --experiment ID    Only the runs of this experiment
  -h, --help         Show this help
`;

/** The models whose training step `bench` times, each with its PyTorch peer script. */
export const STEP_MODELS = ['dssm', 'deepfm', 'hybrid', 'label-generator'] as const;
export type StepModel = (typeof STEP_MODELS)[number];

/** DAMCAR's WeChat subset, roughly (the paper's Table 1): `bench-pipeline`'s default size. */
export const WECHAT_SIZE = { users: 17_000, items: 42_000, interactions: 1_600_000 } as const;

/** Steps `bench --profile` profiles per batch size. */
export const PROFILE_STEPS = 20;

export const BENCH_HELP = `Usage: cascade-lab bench [--model ${STEP_MODELS.join('|')}] [--backend B] [--batch 512,4096] [--seconds S]
                        [--threads T] [--embeddings host|device] [--loss-every N] [--profile]
                        [--json FILE] [--peer] [--peer-threads 1,2] [--l2-thread on|off]

Times the DSSM training step of the PyTorch peer (shared/bench/dssm_step_torch.py) on the same
workload: user table 20,000 x 128, item table 40,000 x 128 (sparse Adagrad), towers
128-300-200-100 with ReLU, BCE on random labels (30% positive), Adagrad lr 0.01, 3 warm-up
steps, then S seconds per batch size. Prints one JSON line per batch size:
  {"peer":"cascade-lab-<backend>","batch":B,"threads":T,"samples_per_s":X,...}

--model deepfm times the ranking model's step instead (core/bench/deepfm-step.ts: the DAMCAR
authors' DeepFM, fields user/item/category of 32, dense 64, DNN 256-128); --model hybrid
DAMCAR's hybrid training step (core/bench/hybrid-step.ts: the authors' DSSM, batch-normalised
towers 300-300-128, cosine score, embedding L2 on every row, loss L_mpl + 0.3 L_con);
--model label-generator DAMCAR's label generator step (core/bench/label-generator-step.ts: E
300-200-100, g 128-100, Phi and Psi, the bounded adversary and the EMA teacher, 26% target rows,
L_ce + 0.5 L_sup + 0.2 L_dom). Each has its peer in scripts/peers/<model>_step_torch.py (a
hyphen in the model's name is an underscore in the script's).

Options:
  --model M          ${STEP_MODELS.join(', ')} (default: dssm)
  --backend B        ${BACKEND_CHOICES.join(', ')} (default: auto, the first that works)
  --batch LIST       Batch sizes, comma-separated (default: 512,4096)
  --seconds S        Timed seconds per batch size (default: 10, as the peer)
  --threads T        Compute threads, 1 to ${MAX_WASM_THREADS} (default: 1): wasm's XNNPACK threads (more than
                     1 starts the threaded binary), tensorflow's intra-op threads
  --embeddings P     host: tables in host memory, sparse Adagrad there, the rows' gradient read
                     back every step (default); device: tables as tensors on the backend's
                     device (gather, scatter-summed Adagrad), nothing read back but the loss
                     (for GPUs; slower on a CPU backend, which updates the whole table)
  --loss-every N     With --embeddings device: read the summed loss every N steps (default: ${DEFAULT_LOSS_READ_INTERVAL})
  --l2-thread on|off Take the embedding L2's owed steps (the hybrid step's; the other steps have no
                     L2) on a worker thread of their own (default: on with two cores or more, as
                     runs do)
  --json FILE        Also write every line (and the peer's, and the ratios) as one JSON file
  --peer             Then run the step's peer (scripts/peers/<model>_step_torch.py) with the same
                     batches, seconds and threads, and print its lines and the ratios
                     cascade-lab / torch; a peer that fails, or whose lines name another step
                     (no ratio then), makes the exit code 1.
                     The peer is pip's PyTorch in Cascade Lab's Python environment
                     (${'$'}CASCADE_LAB_PYTHON_ENV, else python-env in the data folder), installed
                     there on first use; Debian's python3-torch only when pip fails, with its BLAS
                     named on every line
  --peer-threads L   Torch thread counts for --peer, comma-separated (default: T)
  --peer-python PY   Use this interpreter's torch as the peer instead
  --profile          Instead of timing: where a step's time goes, per batch size (${PROFILE_STEPS} steps): wall
                     ms per step, kernel ms per step and the rest (JavaScript, bookkeeping, GC),
                     kernels and host reads per step, and ms per kernel; one JSON line per batch
                     size on stdout, a table on stderr
  -h, --help         Show this help
`;

export const BENCH_PIPELINE_HELP = `Usage: cascade-lab bench-pipeline [--json FILE] [--users N] [--items N] [--interactions N]
                                 [--train-steps N] [--damcar [--epochs N]] [--backend B]
                                 [--l2-thread on|off] [--row-helpers on|off]

Times each stage of a run on a simulated dataset the size of DAMCAR's WeChat subset: simulate,
split, target-domain generation (random walks, R = 25, H = 50; with --damcar inside DAMCAR's
stage, as a run generates it), DSSM training with BC's loss (one epoch, or --train-steps steps
extrapolated to the epoch), tower vectors and retrieval evaluation, with the resident memory
after each stage and the process's peak. Prints one JSON line per stage and a summary line.

Options:
  --users N          Users (default: ${WECHAT_SIZE.users})
  --items N          Items (default: ${WECHAT_SIZE.items})
  --interactions N   Exposures (default: ${WECHAT_SIZE.interactions})
  --train-steps N    Time N training steps and extrapolate the epoch (default: the whole epoch)
  --damcar           Also time the DeepFM ranking model and DAMCAR's training, one epoch each
                     (long: both train on the full training split)
  --epochs N         With --damcar: N epochs for those two stages (the paper's: 3)
  --backend B        ${BACKEND_CHOICES.join(', ')} (default: auto)
  --l2-thread on|off Take the embedding L2's owed steps on a worker thread of their own and give
                     TensorFlow the other cores, as \`run --jobs 1\` does (default: on with two
                     cores or more); off gives TensorFlow every core
  --row-helpers on|off
                     Compute the simulator's per-user retrieval weights and half of the users'
                     ground truth on helper threads, as runs do (default: on with two cores or
                     more); off computes them on the run's own thread
  --json FILE        Also write the result as one JSON file
  -h, --help         Show this help
`;

export const IMPORT_HELP = `Usage: cascade-lab import <wechat|tiktok|csv> <path...> [options]

Imports a dataset once: ids remapped, features encoded, interactions in time order, stored as
binary columns in <data dir>/datasets/<hash>/ with a row in the database. Importing unchanged
files with the same options again is a no-op that returns the stored dataset.

  wechat   user_action.csv feed_info.csv [feed_embeddings.csv]   (wechat_algo_data1/)
  tiktok   final_track2_train.txt [track2_video_features.txt track2_audio_features.txt track2_title.txt]
  csv      one CSV / TSV / JSON-lines log; map its columns with --user --item --label

Options:
  --db FILE                SQLite database (default: ${defaultDatabasePath()})
  --name NAME              Dataset name (default: the dataset's usual name, or the csv file's)
  --json FILE              Also write a summary: {"id","name","users","items","interactions","positives",...}
Filters (the papers' subsets):
  --min-user N             Keep users with >= N interactions (k-core, with --min-item)
  --min-item N             Keep items with >= N interactions
  --from T, --to T         Inclusive time range in the source's unit (WeChat: day 1-14; csv: an
                           ISO date is also accepted)
  --sample F               Keep a seeded random fraction F of the users, 0 < F <= 1
  --seed S                 Seed of --sample (default 1)
WeChat:
  --embedding-dim N        PCA dimension of the 512-d feed embeddings (0 keeps 512; default 64)
csv column mapping:
  --user COL --item COL --label COL   Required columns
  --time COL               Timestamp (number or ISO date; without it, file order)
  --weight COL             Watch time or another edge weight (without it, the label)
  --user-features a,b      Categorical user feature columns
  --item-features c,d      Categorical item feature columns
  --label-threshold X      label = (value >= X), for a numeric label column
  -h, --help               Show this help

Exit codes: 0 imported (or already stored), 1 the import failed (the message names the file,
line and column), 2 bad arguments, 130 interrupted (Ctrl-C cancels the import).
`;

export const BENCH_IMPORT_HELP = `Usage: cascade-lab bench-import [--rows N] [--json FILE]

Benchmark of the TikTok importer (not a test): generates a final_track2_train.txt of N rows in a
temp folder, imports and stores it, and prints one JSON line with rows per second and peak RSS.
Target: >= 300,000 rows/s with peak RSS under 1 GB at 10 million rows.

Options:
  --rows N       Rows to generate (default 10000000)
  --json FILE    Also write the JSON to FILE
  -h, --help     Show this help
`;

export const BENCH_FIDELITY_HELP = `Usage: cascade-lab bench-fidelity <wechat-folder> --reference FILE [options]

Fidelity against the DAMCAR authors' code on the same files: imports the WeChat-format folder
(user_action.csv, feed_info.csv, feed_embeddings.csv), runs BC and DAMCAR with the testbed's
defaults over the seeds with the authors' evaluation (DeepFM ranking, the test split's feeds as
the corpus, K1 = 100, 200, K2 = K1 / 10), and prints mean ± std beside the authors' numbers from
the reference JSON, their ratio, and the targets (BC R@100 and N@10 within 5% of the authors'
mean; DAMCAR's mean inside their spread or better). scripts/fidelity/README.md says how the
reference files were made; reference-wechat-default.json belongs to the default output of
gen_wechat_like.py.

Options:
  --reference FILE       The authors' numbers (scripts/fidelity/reference-*.json)
  --seeds LIST           Our seeds (default 1,2,3)
  --methods LIST         bc, damcar or both (default bc,damcar)
  --protocol-params JSON Testbed settings to try instead of the defaults, e.g.
                         '{"retrievalScore":"dot"}' (cascade-lab methods damcar lists them)
  --db FILE              SQLite database (default: ${defaultDatabasePath()})
  --backend B            ${BACKEND_CHOICES.join(', ')} (default auto)
  --jobs N               Runs at once (default: one per core)
  --json FILE            Also write {"rows","targets","runs"} as JSON
  -h, --help             Show this help

Exit codes: 0 every run finished (whether or not the targets are met), 1 a run failed or the
import failed, 2 bad arguments or reference file, 130 interrupted.
`;

export const BENCH_STORE_HELP = `Usage: cascade-lab bench-store [--processes N] [--runs N] [--points N] [--db FILE]
                              [--busy-timeout MS]

Starts N processes that write to one SQLite database at once through the store, as the app does:
each creates its share of the runs, marks each running, adds its curve points one by one (as the
training events arrive), and finishes it with metrics. Prints a summary on stderr and one JSON
line on stdout: runs/s, points/s, the SQLITE_BUSY errors that surfaced, and the verification that
every process's runs and points are in the database. Exit code 1 when anything was lost.

Options:
  --processes N      Writer processes (default: 4)
  --runs N           Runs in all, split between the processes (default: 10000)
  --points N         Curve points in all, split between the runs (default: 1000000)
  --db FILE          Database to write (default: a temporary one, deleted afterwards)
  --busy-timeout MS  How long a writer waits for the lock (default: the store's, 5000)
  -h, --help         Show this help
`;

export const BENCH_QUEUE_HELP = `Usage: cascade-lab bench-queue [--points N] [--seeds N] [--epochs N] [--users N]
                              [--items N] [--jobs N] [--workers LIST] [--backend B]
                              [--redis URL] [--json FILE] [--memory-only]

Runs DAMCAR's Table 4 grid (experiments/table4-grid.json: the three loss weights, cut to N values
each, on a small simulated world) on this machine's job pool, then on each number of
\`cascade-lab worker\` processes in LIST (each with its own data folder, talking only to Redis).
Prints one JSON line per configuration: wall time, runs/min, speed-up over the local pool, each
job's enqueue-to-start and finish-to-stored times (median, p90), Redis memory per job and the
event stream's rate; one line for the memory of waiting jobs (the grid queued with no worker,
then cancelled); and a summary. Every run must give the same metrics wherever it ran: exit code 1
when one does not (or fails).

Options:
  --points N      Values per loss weight, of Table 4's five: N^3 runs per seed (default: 3)
  --seeds N       Seeds 1..N (default: 1)
  --epochs N      Training epochs per run (default: 1)
  --users N       Simulated users (default: 300)
  --items N       Simulated items (default: 400)
  --jobs N        The local pool's runs at once (default: one per core)
  --workers LIST  Worker processes per configuration, comma-separated (default: 1,2,4)
  --backend B     Backend of every run, here and on the workers (default: wasm)
  --redis URL     Use this Redis, which must hold no other queue's work (default: start a
                  redis-server on a free loopback port, stopped at the end)
  --json FILE     Also write all the lines to FILE as a JSON array
  --memory-only   Only queue the grid with no worker and measure the waiting jobs' memory
  -h, --help      Show this help
`;

export const SETUP_HELP = `Usage: cascade-lab setup tensorflow [--gpu] [--python PY]
       cascade-lab setup torch [--python PY]

tensorflow  Makes the native TensorFlow backend work without tfjs-node's download host: pip
            installs tensorflow-cpu into Cascade Lab's Python environment, tfjs-node's binding
            is built from source against that library (Linux; needs make and g++), and a fresh
            Node process checks that it loads. Runs then pick it automatically (--backend auto).
  --gpu     tfjs-node-gpu against TensorFlow's GPU build and its CUDA 12 libraries from pip
            (tensorflow[and-cuda]), for NVIDIA GPUs
torch       Installs pip's PyTorch into the same environment: the peer of \`cascade-lab bench --peer\`
            (which also installs it on first use)

Options:
  --python PY  Interpreter that creates the environment (default: python3)
  -h, --help   Show this help

The environment is $CASCADE_LAB_PYTHON_ENV, else python-env in the data folder.
`;

export const METHODS_HELP = `Usage: cascade-lab methods [PROTOCOL] [--json]

Lists the papers' testbeds (protocols: damcar, rra, keep, ukdsl, cp2rec) with their settings, and
each one's methods with their hyper-parameters: default, range or options, and the values the paper
searched. A spec sets "protocol", "protocolParams" and per method "params" from these.

Options:
  --json       Print {"protocols":[...],"methods":[...]} instead of text
  -h, --help   Show this help
`;

export const WORKER_HELP = `Usage: cascade-lab worker --redis URL [--concurrency N] [--backend B] [--name NAME]
                           [--data DIR] [--redis-ca FILE] [--stalled-ms MS]

Connects to the queue on Redis, announces itself (name, backend, device, cores, version) and
executes the runs that \`cascade-lab run --queue\` or the workbench queue there, each in a worker
thread; progress, metrics, curves and artifacts go back to whoever queued the run. Stops on Ctrl-C
after the running runs end (a second Ctrl-C stops them; the queue gives them to other workers).

Options:
  --redis URL        The queue's Redis: redis://host:6379, rediss:// for TLS (or CASCADE_LAB_REDIS_URL).
                     A password is best given in CASCADE_LAB_REDIS_PASSWORD.
  --concurrency N    Runs at once (default 1: a run already uses the cores it is given)
  --backend B        Backend for every run, whatever its spec says: ${BACKEND_CHOICES.join(', ')}
  --name NAME        Shown on the runs it executes (default: <host>-<pid>); unique per queue
  --data DIR         This worker's own folder for fetched datasets and the ranking-model cache
                     (default: <data folder>/worker-<name>)
  --redis-ca FILE    CA certificate of a rediss:// server with a private CA
  --stalled-ms MS    How soon a run of a worker that died goes to another (default 30000)
  -h, --help         Show this help

Runs queued by another Cascade Lab version are refused (and left for other workers).
Exit codes: 0 stopped, 1 refused to go on (another version, a backend that does not start),
2 bad arguments, 130 interrupted twice.
`;
