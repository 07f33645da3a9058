/**
 * What this app is and offers: `app:info` (version, transport, the backend `auto` gets, where
 * the data lives) and the registries of methods and protocols the editor builds specs from.
 */
import type { AppInfo, MethodDescriptor, ProtocolDescriptor } from '../../contract/api';
import { listAllMethods, listProtocols } from '../../core/protocols/registry';
import { packageVersion } from '../code-version';
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
