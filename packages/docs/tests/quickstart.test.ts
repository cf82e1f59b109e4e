/**
 * The quickstart page's program, taken from the BUILT page (.vitepress/dist, the HTML a reader
 * copies from), saved as quickstart.ts in a new ESM project and run with tsx against the test
 * backend. `@monque/core` is the workspace's source (see support/run-program.ts).
 */
import { readFileSync } from 'node:fs';
import { getTestUri } from '@monque/test-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractCodeBlock, readBuiltPage } from './support/built-site.js';
import { createProgramProject, type ProgramProject, runProgram } from './support/run-program.js';

const SNIPPET = new URL('../snippets/quickstart.ts', import.meta.url);

describe('the quickstart page', () => {
  let program: string;
  let project: ProgramProject;

  beforeAll(async () => {
    program = extractCodeBlock(readBuiltPage('getting-started/quickstart'), 'quickstart.ts');
    project = await createProgramProject({ 'quickstart.ts': program });
  });

  afterAll(async () => {
    await project?.remove();
  });

  it('shows the whole program file, nothing hidden', () => {
    expect(`${program}\n`).toBe(readFileSync(SNIPPET, 'utf8'));
  });

  it('runs as copied: enqueues two jobs, processes them in order, exits 0', async () => {
    const result = await runProgram(project.dir, 'quickstart.ts', { mongodbUri: getTestUri(), timeoutMs: 30_000 });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      'Welcome, Ada! (an email to ada@example.com)',
      expect.stringMatching(/^send-welcome-email [0-9a-f]{24} completed in \d+ ms$/),
      'Welcome, Grace! (an email to grace@example.com)',
      expect.stringMatching(/^send-welcome-email [0-9a-f]{24} completed in \d+ ms$/),
      'done',
    ]);
  });

  it('without MONGODB_URI, says so and exits 1 at once', async () => {
    const result = await runProgram(project.dir, 'quickstart.ts', { mongodbUri: undefined, timeoutMs: 10_000 });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('MONGODB_URI is not set');
    expect(result.stdout).toBe('');
  });

  it('with a URI where no server answers, fails within serverSelectionTimeoutMS (5 s), not 30 s', async () => {
    // Port 9 (discard) on this host: connections are refused.
    const result = await runProgram(project.dir, 'quickstart.ts', {
      mongodbUri: 'mongodb://127.0.0.1:9/?directConnection=true',
      timeoutMs: 15_000,
    });

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('MongoServerSelectionError');
    expect(result.elapsedMs).toBeLessThan(12_000);
  });
});
