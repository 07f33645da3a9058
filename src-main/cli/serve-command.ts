/** `cascade-lab serve`: the workbench and its API over HTTP for a browser on this machine. */
import { resolve } from 'node:path';
import { createLabApp } from '../app/lab-app';
import { defaultDatabasePath } from '../app/paths';
import type { LocalLabApp } from '../app/types';
import { integerOption, parseCommandArgs as parse, stringOption } from './args';
import { SERVE_HELP, SERVE_OPTIONS } from './help';
import { EXIT_OK, UsageError, type CliIo } from './io';

export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, SERVE_OPTIONS, SERVE_HELP);
  if (values.help) {
    io.stdout.write(SERVE_HELP);
    return EXIT_OK;
  }
  if (positionals.length)
    throw new UsageError(`serve takes no arguments, got ${positionals.join(' ')}\n\n${SERVE_HELP}`);
  const portText = stringOption(values, 'port');
  const port = portText === undefined ? 0 : integerOption(portText, '--port', 0, 65535);
  const staticDir = stringOption(values, 'static');
  const bindHost = stringOption(values, 'host');
  const allowRemote = values['allow-remote'] === true;
  const { isLoopbackHost } = await import('../host/access');
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
  const { startHost } = await import('../host/server');
  const app: LocalLabApp = await createLabApp({
    transport: 'browser-host',
    dbPath: resolve(stringOption(values, 'db') ?? defaultDatabasePath()),
  });
  let host: Awaited<ReturnType<typeof startHost>>;
  try {
    host = await startHost({
      app,
      port,
      host: bindHost,
      allowRemote,
      staticDir: staticDir === undefined ? undefined : resolve(staticDir),
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
  await new Promise<void>((done) => {
    const remove = io.onInterrupt(() => {
      remove();
      done();
    });
  });
  io.stderr.write('Stopping…\n');
  await host.close();
  await app.close();
  return EXIT_OK;
}
