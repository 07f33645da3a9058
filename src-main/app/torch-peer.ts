/**
 * The PyTorch the speed benchmark compares against: the one an analyst gets from `pip install
 * torch` (MKL and oneDNN inside), in Cascade Lab's venv (python-env.ts), made on first use.
 * Debian's python3-torch is only a labelled fallback: its speed is that of whatever BLAS
 * `libblas.so.3` points to (the reference libblas3 makes it ~14x slower than with OpenBLAS), so
 * its lines name that library.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type LogLine, ensurePythonPackages } from './python-env';

export type TorchSource = 'pip' | 'debian' | 'given';

export interface TorchPeer {
  python: string;
  source: TorchSource;
  /** torch.__version__ */
  version: string;
  /** BLAS from torch's build configuration (e.g. mkl), plus the library loaded when it is a shared one. */
  blas: string;
}

/**
 * Prints torch's version and BLAS: BLAS_INFO from torch.__config__.show(), and any BLAS library
 * the process mapped (Debian's build links libblas.so.3, whose real file tells which BLAS it is).
 */
const TORCH_PROBE = `
import json, os, re, torch
config = torch.__config__.show()
match = re.search(r"BLAS_INFO=([\\w-]+)", config)
libs = set()
with open("/proc/self/maps") as maps:
    for line in maps:
        path = line.split()[-1]
        if re.search(r"lib(open)?blas|libmkl|libblis", os.path.basename(path)):
            libs.add(os.path.realpath(path))
print(json.dumps({"version": torch.__version__, "blas_info": match.group(1) if match else "unknown",
                  "libraries": sorted(libs), "file": torch.__file__}))
`;

interface TorchProbe {
  version: string;
  blas_info: string;
  libraries: string[];
  file: string;
}

export function probeTorch(python: string): TorchProbe | null {
  const result = spawnSync(python, ['-c', TORCH_PROBE], { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) return null;
  try {
    return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as TorchProbe;
  } catch {
    return null;
  }
}

/** A probe as a peer: the BLAS named by its library file when one was loaded. */
export function describeTorch(python: string, source: TorchSource, probe: TorchProbe): TorchPeer {
  const blas =
    probe.libraries.length > 0 ? `${probe.blas_info} (${probe.libraries.join(', ')})` : probe.blas_info;
  return { python, source, version: probe.version, blas };
}

export interface FindPeerOptions {
  /** An interpreter the user named (--peer-python): used as it is. */
  given?: string;
  /** Cascade Lab's venv: used, or made and filled with pip's torch. */
  envDir: string;
  basePython?: string;
  /** Debian's interpreter, the labelled fallback. */
  systemPython?: string;
  log: LogLine;
}

/**
 * The peer: the given interpreter, else the venv's torch (installed with pip when missing), else
 * Debian's torch with a warning. Throws when none has torch.
 */
export async function findTorchPeer(options: FindPeerOptions): Promise<TorchPeer> {
  const { log } = options;
  if (options.given) {
    const probe = probeTorch(options.given);
    if (!probe) throw new Error(`${options.given} cannot import torch`);
    return describeTorch(options.given, 'given', probe);
  }
  let pipError = '';
  try {
    const python = await ensurePythonPackages(
      options.envDir,
      [{ module: 'torch', requirement: 'torch' }],
      log,
      options.basePython,
    );
    const probe = probeTorch(python);
    if (probe) return describeTorch(python, 'pip', probe);
    pipError = `${python} has torch installed but cannot import it`;
  } catch (error) {
    pipError = error instanceof Error ? error.message : String(error);
  }
  const system = options.systemPython ?? '/usr/bin/python3';
  const probe = existsSync(system) ? probeTorch(system) : null;
  if (!probe)
    throw new Error(`no PyTorch to compare against: pip's failed (${pipError}) and ${system} has none`);
  const peer = describeTorch(system, 'debian', probe);
  log(
    `The pip-installed PyTorch is not available (${pipError}); comparing against ${system}'s torch ${peer.version} with BLAS ${peer.blas}, which is not the PyTorch an analyst installs.`,
  );
  return peer;
}
