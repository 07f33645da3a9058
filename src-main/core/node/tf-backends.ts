/**
 * The Node side of choosing a backend (core/tf/backend.ts): finding the native TensorFlow packages
 * and their bindings in node_modules, and where Dawn would find the Vulkan loader. backend.ts
 * imports this module only when it tries those backends in Node.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendOptions, type VulkanProbe, activate, importOptional, reason } from '../tf/backend';
import { registerGradients } from '../tf/gradients';
import { registerNativeReshape } from '../tf/tensorflow-ops';
import { tensorflowEnvironment } from '../tf/tensorflow-env';

/** The native TensorFlow packages, GPU build first; each is used only when its binding is built. */
export const TENSORFLOW_PACKAGES = [
  { name: '@tensorflow/tfjs-node-gpu', device: 'TensorFlow native (GPU build)' },
  { name: '@tensorflow/tfjs-node', device: 'TensorFlow native (CPU)' },
] as const;

export type TensorflowPackageName = (typeof TENSORFLOW_PACKAGES)[number]['name'];

/** Where a tfjs-node package stands in this install. */
export type NativeBindingState =
  | { state: 'absent' }
  | { state: 'unbuilt'; packageDir: string }
  | { state: 'built'; packageDir: string; bindingPath: string };

/**
 * Whether `pkg` is installed and its native binding (`lib/napi-v<N>/tfjs_binding.node`) exists.
 * Checked before importing: importing a tfjs-node package registers its kernels first and loads
 * the binding after, so an unbuilt package would leave 155 "kernel already registered" lines
 * behind when the next package registers the same kernels.
 */
export async function nativeBindingState(pkg: TensorflowPackageName): Promise<NativeBindingState> {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    return { state: 'absent' };
  }
  const lib = join(packageDir, 'lib');
  const builds = existsSync(lib) ? readdirSync(lib).filter((d) => d.startsWith('napi-v')) : [];
  for (const build of builds.sort().reverse()) {
    const bindingPath = join(lib, build, 'tfjs_binding.node');
    if (existsSync(bindingPath)) return { state: 'built', packageDir, bindingPath };
  }
  return { state: 'unbuilt', packageDir };
}

export const TENSORFLOW_SETUP_HINT = 'run `cascade-lab setup tensorflow` to build it';

/** Loads the first native TensorFlow package whose binding is built (the `tensorflow` backend). */
export async function loadTensorflow(options: BackendOptions): Promise<string> {
  const failures: string[] = [];
  for (const { name, device } of TENSORFLOW_PACKAGES) {
    const binding = await nativeBindingState(name);
    if (binding.state === 'absent') continue;
    if (binding.state === 'unbuilt') {
      failures.push(`${name} is installed without its native binding`);
      continue;
    }
    // Read by the library when it loads: in the main thread's environment, which workers share.
    // A worker's process.env is a copy that the library never sees, so the pool sets it first.
    Object.assign(process.env, tensorflowEnvironment(process.env, options.threads));
    try {
      await importOptional(name);
      // tfjs-node brings @tensorflow/tfjs, whose gradients replaced ours when it loaded.
      registerGradients(true);
      registerNativeReshape();
      await activate('tensorflow');
      const version = (tf.backend() as { binding?: { TF_Version?: unknown } }).binding?.TF_Version;
      return typeof version === 'string' ? `${device}, TensorFlow ${version}` : device;
    } catch (error) {
      const why = reason(error);
      // One package is imported at most: a second would register the same kernels again.
      throw new Error(why.startsWith(name) ? why : `${name}: ${why}`);
    }
  }
  if (failures.length === 0) failures.push('no TensorFlow native binding is installed');
  throw new Error(`${failures.join('; ')}; ${TENSORFLOW_SETUP_HINT}`);
}

/** Where this process looks for the Vulkan loader (for the `webgpu` backend in Node). */
export function nodeVulkanProbe(): VulkanProbe {
  return {
    platform: process.platform,
    libraryPath: process.env.LD_LIBRARY_PATH,
    exists: (path) => existsSync(path),
    linkerCache: () => {
      try {
        return readFileSync('/etc/ld.so.cache', 'latin1');
      } catch {
        return null;
      }
    },
  };
}
