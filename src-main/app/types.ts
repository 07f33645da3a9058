/**
 * What the services expose to the transports (Electron IPC, the browser host, the CLI).
 * Every transport calls the same handlers; the handlers validate their payloads.
 */
import type {
  ApiEvents,
  AppInfo,
  BackendChoice,
  Channel,
  EventName,
  RequestOf,
  ResponseOf,
} from '../contract/api';

export type ApiHandlers = { [C in Channel]: (request: RequestOf<C>) => Promise<ResponseOf<C>> };

export interface EventHub {
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void;
}

export interface LabAppOptions {
  /** Folder for the database and dataset files; defaults to the user's data folder (paths.ts). */
  dataDir?: string;
  /** SQLite file; defaults to `<dataDir>/cascade-lab.db`. */
  dbPath?: string;
  transport: AppInfo['transport'] | 'cli';
  /** Backend preference for runs whose spec says `auto`. */
  backend?: BackendChoice;
  /** Jobs run at once, each in its own worker; default one per core. */
  maxParallelJobs?: number;
  /** Optional native binding path for better-sqlite3 (Electron's ABI build). */
  sqliteNativeBinding?: string;
  /** Version reported by `app:info`; defaults to package.json's (Electron may pass app.getVersion()). */
  version?: string;
  /** Entry file of the training worker; defaults to resolveTrainingWorkerEntry() in jobs.ts. */
  workerEntry?: URL;
  /** Folder of the bundled experiment specs; defaults to the repository's experiments/. */
  experimentsDir?: string;
  /** Entry file of the import worker; defaults to resolveImportWorkerEntry() in imports.ts. */
  importWorkerEntry?: URL;
  /** How long a cancelled run may take to stop before its worker is terminated (default 5000 ms). */
  cancelGraceMs?: number;
  /**
   * Execute runs on the queue at this Redis URL (`cascade-lab worker` processes take them) instead
   * of in this process; the app refuses to start when it cannot reach it.
   */
  queue?: { url: string };
  /** CA certificate for a rediss:// queue with a private CA. */
  queueCaFile?: string;
}

export interface LabApp {
  handlers: ApiHandlers;
  events: EventHub;
  /** Resolves when every run of the experiment has ended (finished, failed or cancelled). */
  waitForExperiment(experimentId: number): Promise<void>;
  close(): Promise<void>;
}

/** The app createLabApp returns: a LabApp that also says where its data lives. */
export interface LocalLabApp extends LabApp {
  dataDir: string;
  databasePath: string;
}
