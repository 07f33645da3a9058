/**
 * What this app is and offers: `app:info` (version, transport, the backend `auto` gets, where
 * the data lives) and the registries of methods and protocols the editor builds specs from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppInfo, MethodDescriptor, ProtocolDescriptor } from '../../contract/api';
import { listAllMethods, listProtocols } from '../../core/protocols/registry';
import type { LabAppOptions } from '../types';
import type { JobService } from './jobs';

export interface InfoService {
  appInfo(): Promise<AppInfo>;
  methods(): MethodDescriptor[];
  protocols(): ProtocolDescriptor[];
}

export interface InfoServiceOptions {
  jobs: JobService;
  transport: LabAppOptions['transport'];
  /** Defaults to package.json's version. */
  version?: string;
  dataDir: string;
  databasePath: string;
}

/** The version in the nearest package.json above this module named cascade-lab. */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'cascade-lab' && pkg.version) return pkg.version;
      } catch {
        // not ours or unreadable: keep looking upwards
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return '0.0.0';
}

export function createInfoService(options: InfoServiceOptions): InfoService {
  const version = options.version ?? packageVersion();
  return {
    async appInfo(): Promise<AppInfo> {
      const backend = await options.jobs.probeBackend();
      return {
        version,
        // The CLI has no window; when it serves one it says 'browser-host'.
        transport: options.transport === 'electron' ? 'electron' : 'browser-host',
        backend: backend.backend,
        device: backend.device,
        backendNotes: backend.notes,
        dataDir: options.dataDir,
        databasePath: options.databasePath,
      };
    },
    methods: () => listAllMethods(),
    protocols: () => listProtocols(),
  };
}
