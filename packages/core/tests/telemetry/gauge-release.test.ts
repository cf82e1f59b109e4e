/**
 * An instrumentation that is no longer referenced (its `Monque` instance dropped) is not kept
 * alive by the meter provider its due-jobs gauge is registered on (the gauge's callback holds it
 * weakly, and removes itself once it is gone). Needs `--expose-gc`, so it runs in a child process.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('due-jobs gauge', () => {
  it('does not keep a dropped instance alive', async () => {
    const probe = fileURLToPath(new URL('./gc-probe.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', probe], {
      timeout: 30_000,
    });
    expect(JSON.parse(stdout)).toEqual({
      before: ['dropped', 'kept'],
      droppedFreed: true,
      keptReports: true,
      kept: 'function',
    });
  });
});
