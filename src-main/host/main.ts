/**
 * `cascade-lab serve`: the browser host's own entry point. bin/cascade-lab.mjs hands it the
 * arguments after `serve`; the command line (src-main/cli) knows the command only as a line of its
 * help, since the transports do not import each other (eslint/layers.js). Built beside the CLI as
 * out/cli/host.js (vite.cli.config.ts).
 *
 * Exit codes as the CLI's: 0 stopped cleanly, 1 failed (or the database cannot be used), 2 usage.
 * The static imports stay light so that `serve --help` prints at once: the app, the store and the
 * server load only to serve.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UnusableDatabaseError } from '../app/errors';
import { defaultDatabasePath } from '../app/paths';
import { isLoopbackHost } from './access';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** serve's flags: parsed from this table and listed from it in SERVE_HELP. */
export const SERVE_OPTIONS = {
  port: { type: 'string', value: 'N', help: 'Port (default: 0, a free one)' },
  host: {
    type: 'string',
    value: 'H',
    help: 'Interface to bind (default: 127.0.0.1; others need --allow-remote)',
  },
  'allow-remote': {
    type: 'boolean',
    help: 'Allow a --host that other machines can reach (the token still applies)',
  },
  db: { type: 'string', value: 'FILE', help: `SQLite database (default: ${defaultDatabasePath()})` },
  static: { type: 'string', value: 'DIR', help: 'Folder with the built workbench (default: out/renderer)' },
} as const satisfies Record<string, { type: 'string' | 'boolean'; value?: string; help: string }>;

const serveFlags = Object.entries(SERVE_OPTIONS).map(([name, option]) => ({
  flag: 'value' in option ? `--${name} ${option.value}` : `--${name}`,
  help: option.help,
}));
const serveOptionLines = [...serveFlags, { flag: '-h, --help', help: 'Show this help' }]
  .map(({ flag, help }) => `  ${flag.padEnd(17)}${help}`)
  .join('\n');

export const SERVE_HELP = `Usage: cascade-lab serve ${serveFlags.map(({ flag }) => `[${flag}]`).join(' ')}

Serves the workbench and its API over HTTP for a browser on this machine, and prints the URL to
open. The URL carries this start's access token (?token=…), which every request needs: the
browser keeps it in a cookie; scripts send "Authorization: Bearer <token>". Stop it with Ctrl-C.

Options:
${serveOptionLines}
`;

/** Where the host writes, and how it learns of Ctrl-C; injectable for tests. */
export interface HostIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Resolves on the first Ctrl-C or SIGTERM. */
  interrupted(): Promise<void>;
}

function processIo(): HostIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    interrupted: () =>
      new Promise((done) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          done();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      }),
  };
}

/** A command-line mistake: printed with a usage hint, exit code 2. */
class UsageError extends Error {}

interface ServeOptions {
  port: number;
  bindHost: string | undefined;
  allowRemote: boolean;
  db: string | undefined;
  staticDir: string | undefined;
}

function parseServeArgs(args: string[]): ServeOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { help: { type: 'boolean', short: 'h' }, ...SERVE_OPTIONS },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${SERVE_HELP}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length)
    throw new UsageError(`serve takes no arguments, got ${positionals.join(' ')}\n\n${SERVE_HELP}`);
  const portText = values.port;
  if (portText !== undefined && (!/^\d+$/.test(portText) || Number(portText) > 65535))
    throw new UsageError(`--port must be an integer from 0 to 65535, got ${JSON.stringify(portText)}`);
  return {
    port: portText === undefined ? 0 : Number(portText),
    bindHost: values.host,
    allowRemote: values['allow-remote'] === true,
    db: values.db,
    staticDir: values.static,
  };
}

async function serve(options: ServeOptions, io: HostIo): Promise<number> {
  const { bindHost, allowRemote } = options;
  const remote = bindHost !== undefined && !isLoopbackHost(bindHost);
  // Checked before the database is opened (startHost refuses too), so a refusal creates nothing.
  if (remote && !allowRemote) {
    throw new UsageError(
      `--host ${bindHost} is not a loopback address, so other machines could reach the workbench, ` +
        'whose API reads any file this account can. Keep the default 127.0.0.1 (from another ' +
        'machine, use an SSH tunnel: ssh -L PORT:127.0.0.1:PORT this-machine), or add ' +
        `--allow-remote to serve on ${bindHost} anyway.`,
    );
  }
  const [{ createLabApp }, { startHost }] = await Promise.all([import('../app/lab-app'), import('./server')]);
  const app = await createLabApp({
    transport: 'browser-host',
    dbPath: resolve(options.db ?? defaultDatabasePath()),
  });
  let host: Awaited<ReturnType<typeof startHost>>;
  try {
    host = await startHost({
      app,
      port: options.port,
      host: bindHost,
      allowRemote,
      staticDir: options.staticDir === undefined ? undefined : resolve(options.staticDir),
    });
  } catch (error) {
    await app.close();
    throw error;
  }
  if (remote) {
    io.stderr.write(
      `Warning (--allow-remote): serving on ${bindHost}, reachable from other machines over plain ` +
        'HTTP; whoever sees the traffic gets the token, and with it every file this account can read.\n',
    );
  }
  io.stdout.write(
    `Cascade Lab is serving at ${host.url}\n` +
      'Open that URL in a browser; its token changes each start (scripts: "Authorization: Bearer <token>").\n' +
      `Database: ${app.databasePath}\nStop with Ctrl-C.\n`,
  );
  await io.interrupted();
  io.stderr.write('Stopping…\n');
  await host.close();
  await app.close();
  return EXIT_OK;
}

/** `-h` or `--help` anywhere before a `--`: answered before the other flags are checked, as the CLI does. */
function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((arg) => arg === '-h' || arg === '--help');
}

/** Runs `cascade-lab serve` with the arguments after `serve`; returns the exit code. */
export async function main(args: string[], io: HostIo = processIo()): Promise<number> {
  if (asksForHelp(args)) {
    io.stdout.write(SERVE_HELP);
    return EXIT_OK;
  }
  try {
    return await serve(parseServeArgs(args), io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof UnusableDatabaseError) {
      io.stderr.write(`cascade-lab serve: ${error.message}\n`);
      return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
    }
    io.stderr.write(
      `cascade-lab serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT_FAILED;
  }
}
