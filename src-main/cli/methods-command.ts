/**
 * `cascade-lab methods [protocol] [--json]`: the papers' testbeds and their methods with every
 * hyper-parameter (default, range or options, the paper's grid), i.e. what a spec file may set.
 */
import type { MethodDescriptor, ParamSpec, ProtocolDescriptor } from '../contract/api';
import { listAllMethods, listProtocols } from '../core/protocols/registry';
import { parseCommandArgs as parse } from './args';
import { METHODS_HELP } from './help';
import { EXIT_OK, UsageError, type CliIo } from './io';

function describeParam(param: ParamSpec): string {
  switch (param.kind) {
    case 'number': {
      const grid = param.paperGrid ? `; paper grid ${param.paperGrid.join(', ')}` : '';
      return `${param.key} = ${param.default} in [${param.min}, ${param.max}]${param.integer ? ', integer' : ''}${grid}`;
    }
    case 'choice':
      return `${param.key} = ${param.default} of ${param.options.map((option) => option.value).join(' | ')}`;
    case 'boolean':
      return `${param.key} = ${param.default} (switch)`;
  }
}

function describeProtocol(protocol: ProtocolDescriptor, methods: MethodDescriptor[]): string {
  const lines = [`${protocol.id}: ${protocol.name} — ${protocol.paper}`, `  ${protocol.summary}`];
  for (const param of protocol.params) lines.push(`  protocolParams.${describeParam(param)}  ${param.label}`);
  for (const method of methods) {
    lines.push(`  - ${method.id} (${method.name}, ${method.stage}): ${method.summary}`);
    if (method.equations.length > 0) lines.push(`      equations: ${method.equations.join(', ')}`);
    for (const param of method.params) lines.push(`      params.${describeParam(param)}`);
  }
  return lines.join('\n');
}

export async function methodsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } }, METHODS_HELP);
  if (values.help) {
    io.stdout.write(METHODS_HELP);
    return EXIT_OK;
  }
  const protocols = listProtocols();
  if (positionals.length > 1)
    throw new UsageError(
      `methods takes at most one protocol, got ${positionals.join(' ')}\n\n${METHODS_HELP}`,
    );
  const wanted = positionals[0];
  const chosen = wanted === undefined ? protocols : protocols.filter((protocol) => protocol.id === wanted);
  if (chosen.length === 0) {
    throw new UsageError(
      `unknown protocol "${wanted}"; expected one of ${protocols.map((p) => p.id).join(', ')}`,
    );
  }
  const ids = new Set(chosen.map((protocol) => protocol.id));
  const methods = listAllMethods().filter((method) => ids.has(method.protocol));
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ protocols: chosen, methods })}\n`);
    return EXIT_OK;
  }
  const blocks = chosen.map((protocol) =>
    describeProtocol(
      protocol,
      methods.filter((method) => method.protocol === protocol.id),
    ),
  );
  io.stdout.write(`${blocks.join('\n\n')}\n`);
  return EXIT_OK;
}
