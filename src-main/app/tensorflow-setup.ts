/**
 * `cascade-lab setup tensorflow`: makes the native `tensorflow` backend work where tfjs-node's own
 * install cannot, because its download host (libtensorflow 2.9.1 and a prebuilt binding from
 * storage.googleapis.com) is unreachable. Needs only the npm registry, pip and a C++ toolchain:
 *
 * 1. pip installs TensorFlow into Cascade Lab's venv (python-env.ts): `tensorflow-cpu`, or for
 *    `--gpu` `tensorflow[and-cuda]` (the GPU build with its CUDA 12 libraries from pip);
 * 2. npm installs the tfjs-node package without its install script if npm dropped it;
 * 3. the package's `deps/` points at the wheel's headers and libraries: libtensorflow_cc.so.2
 *    exports the C and eager API the binding calls, under the names the binding links to;
 * 4. node-pre-gyp builds the binding from source (against Node's installed headers when present,
 *    so node-gyp downloads nothing);
 * 5. a fresh Node process loads the package and reports the backend and TensorFlow's version.
 * Linux only: the binding's build links `deps/lib/*.so`; elsewhere the normal npm install
 * downloads a prebuilt binding.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  TENSORFLOW_PACKAGES,
  type TensorflowPackageName,
  nativeBindingState,
} from '../core/node/tf-backends';
import { type LogLine, ensurePythonPackages, pythonModuleDir, runLogged } from './python-env';

export interface TensorflowSetupOptions {
  /** tfjs-node-gpu against TensorFlow's GPU build instead of tfjs-node against tensorflow-cpu. */
  gpu: boolean;
  /** The venv (python-env.ts). */
  envDir: string;
  /** Interpreter that creates the venv. */
  basePython?: string;
  log: LogLine;
}

export interface TensorflowSetupResult {
  package: TensorflowPackageName;
  bindingPath: string;
  backend: string;
  tensorflowVersion: string;
}

/** The wheel's files the binding links against, by the names it links to (binding.gyp, SONAMEs). */
export function dependencyLinks(tensorflowDir: string): { include: string; libs: Record<string, string> } {
  const cc = join(tensorflowDir, 'libtensorflow_cc.so.2');
  const framework = join(tensorflowDir, 'libtensorflow_framework.so.2');
  return {
    include: join(tensorflowDir, 'include'),
    libs: {
      // -ltensorflow at build time; tfjs-node's install script looks for .so.2.9.1 to skip its download.
      'libtensorflow.so': cc,
      'libtensorflow.so.2': cc,
      'libtensorflow.so.2.9.1': cc,
      // The SONAME recorded in the built binding.
      'libtensorflow_cc.so.2': cc,
      'libtensorflow_framework.so': framework,
      'libtensorflow_framework.so.2': framework,
      'libtensorflow_framework.so.2.9.1': framework,
    },
  };
}

/** Cascade Lab's own package folder (the one with its package.json). */
export function projectRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'cascade-lab'
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no cascade-lab package.json above ${from}`);
    dir = parent;
  }
}

function linkForce(target: string, path: string): void {
  rmSync(path, { force: true, recursive: false });
  symlinkSync(target, path);
}

export async function setupTensorflow(options: TensorflowSetupOptions): Promise<TensorflowSetupResult> {
  const { log } = options;
  if (process.platform !== 'linux')
    throw new Error(
      'setup tensorflow builds the binding on Linux only; on macOS and Windows `npm install` downloads the prebuilt one',
    );
  const pkg = TENSORFLOW_PACKAGES[options.gpu ? 0 : 1].name;
  const requirement = options.gpu ? 'tensorflow[and-cuda]' : 'tensorflow-cpu';
  const python = await ensurePythonPackages(
    options.envDir,
    [{ module: 'tensorflow', requirement }],
    log,
    options.basePython,
  );
  const tensorflowDir = pythonModuleDir(python, 'tensorflow');
  const links = dependencyLinks(tensorflowDir);
  for (const path of [links.include, ...Object.values(links.libs)])
    if (!existsSync(path)) throw new Error(`the TensorFlow wheel in ${options.envDir} has no ${path}`);

  const root = projectRoot();
  let state = await nativeBindingState(pkg);
  if (state.state === 'absent') {
    const version = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        optionalDependencies?: Record<string, string>;
      }
    ).optionalDependencies?.[pkg];
    if (!version) throw new Error(`package.json names no version of ${pkg}`);
    log(`Installing ${pkg}@${version} without its download step (npm)…`);
    await runLogged(
      'npm',
      ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${pkg}@${version}`],
      log,
      { cwd: root },
    );
    state = await nativeBindingState(pkg);
    if (state.state === 'absent')
      throw new Error(`npm installed ${pkg}, but it cannot be resolved from ${root}`);
  }
  const packageDir = state.packageDir;
  const deps = join(packageDir, 'deps');
  mkdirSync(join(deps, 'lib'), { recursive: true });
  linkForce(links.include, join(deps, 'include'));
  for (const [name, target] of Object.entries(links.libs)) linkForce(target, join(deps, 'lib', name));
  log(`Linked ${deps} to the TensorFlow library in ${tensorflowDir}.`);

  const preGyp = createRequire(join(packageDir, 'package.json')).resolve(
    '@mapbox/node-pre-gyp/bin/node-pre-gyp',
  );
  const env = { ...process.env };
  // node-gyp downloads Node's headers unless pointed at installed ones.
  if (env.npm_config_nodedir === undefined && existsSync('/usr/include/node/node.h'))
    env.npm_config_nodedir = '/usr';
  log(`Building the ${pkg} binding from source (node-pre-gyp)…`);
  await runLogged(process.execPath, [preGyp, 'install', '--build-from-source'], log, {
    cwd: packageDir,
    env,
  });

  const built = await nativeBindingState(pkg);
  if (built.state !== 'built') throw new Error(`the build finished but left no binding in ${packageDir}/lib`);
  const check = await runLogged(
    process.execPath,
    [
      '-e',
      `const tf = require(${JSON.stringify(pkg)}); process.stdout.write(JSON.stringify({ backend: tf.getBackend(), tensorflow: tf.backend().binding.TF_Version }));`,
    ],
    () => {},
    { cwd: root },
  );
  const loaded = JSON.parse(check) as { backend: string; tensorflow: string };
  return {
    package: pkg,
    bindingPath: built.bindingPath,
    backend: loaded.backend,
    tensorflowVersion: loaded.tensorflow,
  };
}
