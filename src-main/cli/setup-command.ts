/**
 * `cascade-lab setup tensorflow|torch`: installs the optional native pieces with only the npm
 * registry, pip and a C++ toolchain (app/tensorflow-setup.ts, app/torch-peer.ts).
 */
import { parseCommandArgs as parse, stringOption } from './args';
import { SETUP_HELP } from './help';
import { EXIT_OK, UsageError, type CliIo } from './io';

export async function setupCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    { gpu: { type: 'boolean' }, python: { type: 'string' } },
    SETUP_HELP,
  );
  if (values.help) {
    io.stdout.write(SETUP_HELP);
    return EXIT_OK;
  }
  const [what, ...rest] = positionals;
  if (rest.length > 0 || (what !== 'tensorflow' && what !== 'torch'))
    throw new UsageError(
      `setup takes tensorflow or torch, got ${JSON.stringify(positionals.join(' '))}\n\n${SETUP_HELP}`,
    );
  if (what === 'torch' && values.gpu) throw new UsageError('--gpu applies to setup tensorflow only');
  const { pythonEnvDir } = await import('../app/python-env');
  const envDir = pythonEnvDir();
  const python = stringOption(values, 'python');
  const log = (line: string): void => {
    io.stderr.write(`${line}\n`);
  };
  if (what === 'torch') {
    const { findTorchPeer } = await import('../app/torch-peer');
    const peer = await findTorchPeer({ envDir, ...(python ? { basePython: python } : {}), log });
    io.stdout.write(`torch ${peer.version} (${peer.source}, BLAS ${peer.blas}) at ${peer.python}\n`);
    return EXIT_OK;
  }
  const { setupTensorflow } = await import('../app/tensorflow-setup');
  const result = await setupTensorflow({
    gpu: values.gpu === true,
    envDir,
    ...(python ? { basePython: python } : {}),
    log,
  });
  io.stdout.write(
    `${result.package}: backend ${result.backend}, TensorFlow ${result.tensorflowVersion}, binding ${result.bindingPath}\n`,
  );
  return EXIT_OK;
}
