/**
 * Every example page presents a whole program: each is taken from the BUILT page, saved under its
 * tab's file name in a new ESM project and run with tsx against the test backend (see
 * support/run-program.ts), and its output is checked.
 */
import { readFileSync } from 'node:fs';
import { getTestUri } from '@monque/test-backend';
import { afterAll, describe, expect, it } from 'vitest';
import { extractCodeBlock, readBuiltPage } from './support/built-site.js';
import { createProgramProject, type ProgramProject, runProgram } from './support/run-program.js';

const projects: ProgramProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((project) => project.remove()));
});

/** Takes `file` from the built page `examples/<name>`, checks it is the whole snippet, and saves it in a project. */
async function programFromPage(name: string): Promise<ProgramProject> {
  const file = `${name}.ts`;
  const program = extractCodeBlock(readBuiltPage(`examples/${name}`), file);
  expect(`${program}\n`, `the page shows all of snippets/examples/${file}`).toBe(
    readFileSync(new URL(`../snippets/examples/${file}`, import.meta.url), 'utf8'),
  );
  const project = await createProgramProject({ [file]: program });
  projects.push(project);
  return project;
}

const OBJECT_ID = '[0-9a-f]{24}';

describe.concurrent('the example pages', () => {
  it('basic-usage: queues two emails, sends both, exits 0', async () => {
    const project = await programFromPage('basic-usage');
    const result = await runProgram(project.dir, 'basic-usage.ts', { mongodbUri: getTestUri(), timeoutMs: 30_000 });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      '2 emails queued',
      "sending 'Welcome' to ada@example.com",
      "sending 'Your first week' to ada@example.com",
      'all emails sent',
    ]);
  });

  it('unique-jobs: a burst makes one job; after it completes, a new one', async () => {
    const project = await programFromPage('unique-jobs');
    const result = await runProgram(project.dir, 'unique-jobs.ts', { mongodbUri: getTestUri(), timeoutMs: 30_000 });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      'one job for the burst: true',
      'reindexing p-42',
      'a new job after completion: true',
      'reindexing p-42',
    ]);
  });

  it('recurring-jobs: prints each schedule, runs until Ctrl-C (SIGINT), then stops gracefully with exit 0', async () => {
    const project = await programFromPage('recurring-jobs');
    const result = await runProgram(project.dir, 'recurring-jobs.ts', {
      mongodbUri: getTestUri(),
      timeoutMs: 30_000,
      signal: { name: 'SIGINT', after: 'press Ctrl-C to stop' },
    });

    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    const iso = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:00\\.000Z';
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^purge-sessions: '30 2 \\* \\* \\*', next run ${iso}$`)),
      expect.stringMatching(new RegExp(`^refresh-rates \\(eu\\): '0 \\* \\* \\* \\*', next run ${iso}$`)),
      expect.stringMatching(new RegExp(`^refresh-rates \\(apac\\): '0 \\*/6 \\* \\* \\*', next run ${iso}$`)),
      expect.stringMatching(new RegExp(`^daily-report: '0 8 \\* \\* MON-FRI', next run ${iso}$`)),
      'running; press Ctrl-C to stop',
      'SIGINT: stopping',
      'stopped',
    ]);
  });

  it('error-retry: the flaky call fails twice and then completes; the 4xx is not retried', async () => {
    const project = await programFromPage('error-retry');
    const result = await runProgram(project.dir, 'error-retry.ts', { mongodbUri: getTestUri(), timeoutMs: 30_000 });

    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual(['completed after 2 failures, last: webhook answered 503']);
    const warnings = result.stderr.trimEnd().split('\n');
    expect(warnings).toHaveLength(3);
    expect(warnings).toContainEqual(
      expect.stringMatching(/^webhook http:\/\/127\.0\.0\.1:\d+\/strict rejected the call \(400\); not retrying$/),
    );
    const failures = warnings.filter((line) => line.startsWith('call-webhook'));
    expect(failures).toEqual([
      expect.stringMatching(new RegExp(`^call-webhook ${OBJECT_ID} failure 1: webhook answered 503; retry at \\S+Z$`)),
      expect.stringMatching(new RegExp(`^call-webhook ${OBJECT_ID} failure 2: webhook answered 503; retry at \\S+Z$`)),
    ]);
  });
});
