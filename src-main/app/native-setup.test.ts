import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pythonEnvDir, runLogged, venvPython } from './python-env';
import { dependencyLinks, projectRoot } from './tensorflow-setup';
import { describeTorch } from './torch-peer';

describe('python-env', () => {
  it('keeps the environment in the data folder unless CASCADE_LAB_PYTHON_ENV names one', () => {
    expect(pythonEnvDir({ CASCADE_LAB_PYTHON_ENV: '/opt/env' })).toBe('/opt/env');
    expect(pythonEnvDir({ CASCADE_LAB_DATA_DIR: '/data/cl' })).toBe(join('/data/cl', 'python-env'));
    expect(venvPython('/e', 'linux')).toBe(join('/e', 'bin', 'python'));
    expect(venvPython('/e', 'win32')).toBe(join('/e', 'Scripts', 'python.exe'));
  });

  it('passes every printed line to the log and fails with the exit code', async () => {
    const lines: string[] = [];
    const out = await runLogged('sh', ['-c', 'echo one; echo two >&2; printf three'], (l) => lines.push(l));
    expect(out).toBe('one\nthree');
    expect(lines.sort()).toEqual(['one', 'three', 'two']);
    await expect(runLogged('sh', ['-c', 'exit 3'], () => {})).rejects.toThrow(/exited with code 3/);
  });
});

describe('tensorflow-setup', () => {
  it('links the wheel library under every name the binding builds and loads against', () => {
    const links = dependencyLinks('/site/tensorflow');
    expect(links.include).toBe('/site/tensorflow/include');
    // The SONAME the built binding records, and the names its build (-ltensorflow) and tfjs-node's
    // install script look for.
    for (const name of ['libtensorflow_cc.so.2', 'libtensorflow.so', 'libtensorflow.so.2.9.1'])
      expect(links.libs[name]).toBe('/site/tensorflow/libtensorflow_cc.so.2');
    for (const name of ['libtensorflow_framework.so', 'libtensorflow_framework.so.2'])
      expect(links.libs[name]).toBe('/site/tensorflow/libtensorflow_framework.so.2');
  });

  it('finds the cascade-lab package root from its own sources', () => {
    const root = projectRoot();
    expect(existsSync(join(root, 'package.json'))).toBe(true);
    expect(existsSync(join(root, 'src-main', 'app', 'tensorflow-setup.ts'))).toBe(true);
  });
});

describe('torch-peer', () => {
  it("names the BLAS library a Debian torch loaded, and pip's from its build", () => {
    const probe = { version: '1.13.0a0', blas_info: 'generic', file: '/usr/lib/python3/dist-packages/torch' };
    expect(
      describeTorch('/usr/bin/python3', 'debian', {
        ...probe,
        libraries: ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0'],
      }).blas,
    ).toBe('generic (/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0)');
    expect(
      describeTorch('/v/bin/python', 'pip', {
        ...probe,
        version: '2.13.0+cpu',
        blas_info: 'mkl',
        libraries: [],
      }),
    ).toEqual({
      python: '/v/bin/python',
      source: 'pip',
      version: '2.13.0+cpu',
      blas: 'mkl',
    });
  });
});
