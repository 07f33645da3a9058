/* Test helper: a CliIo that keeps what a command prints, for tests that call `main` in-process. */
import type { CliIo } from './io';

export interface CapturedIo {
  io: CliIo;
  out: () => string;
  err: () => string;
}

export function captureIo(): CapturedIo {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (err += text) },
      onInterrupt: () => () => undefined,
    },
    out: () => out,
    err: () => err,
  };
}
