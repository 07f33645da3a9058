/**
 * `cascade-lab setup tensorflow|torch`: installs the optional native pieces with only the npm
 * registry, pip and a C++ toolchain (app/tensorflow-setup.ts, app/torch-peer.ts).
 */
import { parseCommandArgs as parse, stringOption } from './args';
import { EXIT_OK, UsageError, type CliIo } from './io';

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
