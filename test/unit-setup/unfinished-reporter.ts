/**
 * Vitest reporter: names the test files and tests that started but never reported an end. When a
 * test process dies (a native crash, an abort), Vitest says only "Worker exited unexpectedly";
 * this says where it was. It prints nothing when every started test ended.
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

export default class UnfinishedReporter implements Reporter {
  private readonly runningModules = new Map<string, number>();
  private readonly runningTests = new Map<string, { name: string; started: number }>();

  onTestModuleStart(module: TestModule): void {
    this.runningModules.set(module.moduleId, Date.now());
  }

  onTestModuleEnd(module: TestModule): void {
    this.runningModules.delete(module.moduleId);
  }

  onTestCaseReady(test: TestCase): void {
    this.runningTests.set(test.id, {
      name: `${test.module.moduleId} > ${test.fullName}`,
      started: Date.now(),
    });
  }

  onTestCaseResult(test: TestCase): void {
    this.runningTests.delete(test.id);
  }

  onTestRunEnd(): void {
    if (this.runningModules.size === 0 && this.runningTests.size === 0) return;
    const ago = (started: number): string => `${((Date.now() - started) / 1000).toFixed(1)} s before the end`;
    const lines = [
      'These started and never reported an end (did their test process die?):',
      ...[...this.runningModules].map(([file, started]) => `  file ${file}, started ${ago(started)}`),
      ...[...this.runningTests.values()].map((t) => `  test ${t.name}, started ${ago(t.started)}`),
    ];
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}
