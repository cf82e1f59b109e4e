/**
 * The README's demo (`examples/demo.ts --once`) runs its fixed scenario against the test backend
 * (it reads MONQUE_TEST_URI) and exits 0, and its output shows what it claims to show.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closeMongoDb, getMongoClient } from '@monque/test-backend';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
/** The demo gives up after 30 s on its own; this is the outer limit. */
const CHILD_TIMEOUT_MS = 55_000;

let child: ChildProcess | undefined;

afterEach(() => {
  // Whatever happened, no demo process outlives its test.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

afterAll(async () => {
  await closeMongoDb();
});

/**
 * Runs `node --import tsx examples/demo.ts ...args` from the repository root. `onOutput` sees the
 * output so far after each chunk (and may signal the child).
 */
function runDemo(
  args: string[],
  onOutput: (output: string, demo: ChildProcess) => void = () => {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, ['--import', 'tsx', 'examples/demo.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = process_;
    let output = '';
    process_.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      onOutput(output, process_);
    });
    process_.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => {
      process_.kill('SIGKILL');
      reject(new Error(`the demo did not exit within ${CHILD_TIMEOUT_MS} ms; output so far:\n${output}`));
    }, CHILD_TIMEOUT_MS);
    process_.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    process_.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function linesMatching(output: string, pattern: RegExp): string[] {
  return output.split('\n').filter((line) => pattern.test(line));
}

describe('npm run demo -- --once', () => {
  it('runs the fixed scenario on the test backend, shows it happening, and exits 0', async () => {
    const { code, output } = await runDemo(['--once']);
    expect(code, output).toBe(0);

    // It says which server it uses, and uses the test suite's one (MONQUE_TEST_URI wins).
    expect(output).toMatch(/BACKEND +using the test suite's server from MONQUE_TEST_URI/);
    // Not a terminal: plain text, no colours, no redrawing.
    expect(output).not.toContain('\u001b[');
    expect(linesMatching(output, /ERROR/), output).toEqual([]);

    // Completed jobs, and a live count of jobs per status.
    expect(linesMatching(output, /COMPLETE +send-email #[0-9a-f]{6} completed in/).length).toBe(6);
    expect(output).toMatch(/STATUS +pending \d+ \(\d+ due later\) │ processing \d+ │ completed \d+ │ failed \d+/);
    // The delayed job waited.
    expect(output).toMatch(/ENQUEUE +delayed send-email #[0-9a-f]{6}: runAt = now \+ 2\.0 s/);
    const delayed = /START +send-email #[0-9a-f]{6} \(delayed job: enqueued at \+([\d.]+)s, due at \+([\d.]+)s\)/.exec(
      output,
    );
    expect(delayed, output).not.toBeNull();
    expect(Number(delayed?.[2]) - Number(delayed?.[1])).toBeGreaterThan(1.9);
    const delayedStartedAt = /^\+ *([\d.]+)s START +send-email #[0-9a-f]{6} \(delayed job/m.exec(output)?.[1];
    expect(Number(delayedStartedAt)).toBeGreaterThanOrEqual(Number(delayed?.[2]));

    // Retries with backoff 2^n × 500 ms, then success.
    expect(output).toMatch(/RETRY +flaky-payment #[0-9a-f]{6} failed \(attempt 1 of 3\).*retry in 1\.0 s/);
    expect(output).toMatch(/RETRY +flaky-payment #[0-9a-f]{6} failed \(attempt 2 of 3\).*retry in 2\.0 s/);
    expect(output).toMatch(/COMPLETE +flaky-payment #[0-9a-f]{6} completed/);

    // A job that fails for good.
    expect(output).toMatch(/FAILED +always-fails #[0-9a-f]{6} failed for good after 3 attempts \(maxRetries 3\)/);

    // The unique job: three concurrent enqueues, one id.
    const unique = /3 concurrent enqueue calls → (#[0-9a-f]{6}), (#[0-9a-f]{6}), (#[0-9a-f]{6}): deduplicated/.exec(
      output,
    );
    expect(unique, output).not.toBeNull();
    expect(new Set(unique?.slice(1)).size).toBe(1);
    expect(linesMatching(output, /START +sync-inventory/).length).toBe(1);

    // The cron schedule, and an honest word about the one-off trigger.
    expect(output).toMatch(/SCHEDULE +nightly-report #[0-9a-f]{6} with cron '\* \* \* \* \*' \(every minute\)/);
    expect(output).toMatch(/it is NOT the cron firing/);
    expect(output).toMatch(/cron: nightly-report '\* \* \* \* \*' is pending, next run at/);

    // Graceful stop and the final summary: 12 one-off jobs (11 completed, 1 failed), the recurring one pending.
    expect(output).toMatch(/STOPPED +the scheduler stopped gracefully/);
    expect(output).toMatch(/Summary: 11 completed, 1 failed, 0 processing, 1 pending; 4 retries/);
    expect(output).toMatch(
      /unique: 3 enqueues of sync-inventory 'sku:A-42' → 1 job \(_id [0-9a-f]{24}, deduplicated\)/,
    );

    // It cleaned up its collection.
    const collection = /collection monque_demo\.(demo_jobs_\d+)/.exec(output)?.[1];
    expect(collection, output).toBeDefined();
    const client = await getMongoClient();
    expect(
      await client
        .db('monque_demo')
        .collection(collection as string)
        .countDocuments(),
    ).toBe(0);
  });

  it('without --once runs until SIGINT, then stops gracefully and exits 0', async () => {
    let signalled = false;
    const { code, output } = await runDemo([], (soFar, demo) => {
      // Ctrl-C while jobs are running.
      if (!signalled && /START +sync-inventory/.test(soFar)) {
        signalled = true;
        demo.kill('SIGINT');
      }
    });
    expect(signalled, output).toBe(true);
    expect(code, output).toBe(0);
    expect(output).toMatch(/STOPPING +SIGINT received: no new jobs are claimed; waiting for \d+ running job\(s\)/);
    expect(output).toMatch(/STOPPED +the scheduler stopped gracefully/);
    // Nothing was left half-done: every job it had started finished and was written.
    expect(output).toMatch(/Summary: \d+ completed, \d+ failed, 0 processing, \d+ pending/);
    expect(linesMatching(output, /ERROR|FORCE/), output).toEqual([]);
  });
});
