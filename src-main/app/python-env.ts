/**
 * Cascade Lab's own Python environment: one venv where pip puts the optional native pieces,
 * PyTorch (the speed benchmark's peer) and TensorFlow (whose library the tfjs-node binding is
 * built against when its download host is unreachable: tensorflow-setup.ts).
 *
 * It lives in `$CASCADE_LAB_PYTHON_ENV`, else `python-env` in the data folder (paths.ts), so the
 * CLI, the apps and the tests find the same one. It is made by `python3 -m venv` and filled by
 * that venv's own pip, with whatever index pip is configured for (PyPI on a user's machine).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { defaultDataDir } from './paths';

export type LogLine = (line: string) => void;

export function pythonEnvDir(env: Record<string, string | undefined> = process.env): string {
  const override = env.CASCADE_LAB_PYTHON_ENV?.trim();
  return override || join(defaultDataDir({ env, platform: process.platform, home: homedir() }), 'python-env');
}

/** The venv's interpreter. */
export function venvPython(dir: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? join(dir, 'Scripts', 'python.exe') : join(dir, 'bin', 'python');
}

/**
 * Runs a command, passing each line it prints (stdout and stderr) to `log`.
 * @returns what it printed on stdout
 */
export function runLogged(
  command: string,
  args: readonly string[],
  log: LogLine,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const lines = (chunkText: string, pending: { text: string }): void => {
      pending.text += chunkText;
      const parts = pending.text.split('\n');
      pending.text = parts.pop() ?? '';
      for (const part of parts) if (part.trim() !== '') log(part);
    };
    const out = { text: '' };
    const err = { text: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      lines(chunk.toString(), out);
    });
    child.stderr.on('data', (chunk: Buffer) => lines(chunk.toString(), err));
    child.on('error', (error) => reject(new Error(`could not start ${command}: ${error.message}`)));
    child.on('close', (code) => {
      for (const rest of [out.text, err.text]) if (rest.trim() !== '') log(rest);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} exited with code ${code}`));
    });
  });
}

/** Whether `python` can import `module` (found without importing it, which can take seconds). */
export function pythonHasModule(python: string, module: string): boolean {
  const probe = spawnSync(
    python,
    [
      '-c',
      `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(${JSON.stringify(module)}) else 1)`,
    ],
    { stdio: 'ignore' },
  );
  return probe.status === 0;
}

/** The folder a module's package is installed in, e.g. .../site-packages/tensorflow. */
export function pythonModuleDir(python: string, module: string): string {
  const probe = spawnSync(
    python,
    [
      '-c',
      `import importlib.util; print(list(importlib.util.find_spec(${JSON.stringify(module)}).submodule_search_locations)[0])`,
    ],
    { encoding: 'utf8' },
  );
  if (probe.status !== 0)
    throw new Error(`${python} cannot find the ${module} package: ${probe.stderr.trim()}`);
  return probe.stdout.trim();
}

export interface PythonRequirement {
  /** The module imported, e.g. `torch`. */
  module: string;
  /** What pip installs, e.g. `torch` or `tensorflow-cpu`. */
  requirement: string;
}

/**
 * The venv's interpreter, after creating the venv if needed and pip-installing each requirement
 * whose module is missing.
 * @param basePython the interpreter that makes the venv (default `python3`)
 */
export async function ensurePythonPackages(
  dir: string,
  requirements: readonly PythonRequirement[],
  log: LogLine,
  basePython = 'python3',
): Promise<string> {
  const python = venvPython(dir);
  if (!existsSync(python)) {
    log(`Creating the Python environment ${dir} (${basePython} -m venv)…`);
    await runLogged(basePython, ['-m', 'venv', dir], log);
  }
  const missing = requirements.filter((r) => !pythonHasModule(python, r.module));
  if (missing.length > 0) {
    const names = missing.map((r) => r.requirement);
    log(`Installing ${names.join(', ')} into ${dir} with pip…`);
    await runLogged(python, ['-m', 'pip', 'install', '--disable-pip-version-check', ...names], log);
  }
  return python;
}
