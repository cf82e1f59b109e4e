/**
 * The "Workflows" guide: its fan-out/fan-in program, taken from the BUILT page (the code a reader
 * copies), saved as workflows.ts in a new ESM project and run with tsx against the test backend;
 * and the guide's smaller samples, run as functions.
 */
import { readFileSync } from 'node:fs';
import { type Job, Monque } from '@monque/core';
import { cleanupTestDb, freshCollectionName, getTestDb, getTestUri, waitUntil } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectWorkflow, orderChain, registerChainWorkers } from '../snippets/workflow-options.js';
import { extractCodeBlock, readBuiltPage } from './support/built-site.js';
import { createProgramProject, type ProgramProject, runProgram } from './support/run-program.js';

const SNIPPET = new URL('../snippets/workflows.ts', import.meta.url);

describe('the fan-out/fan-in program of "Workflows"', () => {
  let program: string;
  let project: ProgramProject;

  beforeAll(async () => {
    program = extractCodeBlock(readBuiltPage('guides/workflows'), 'workflows.ts');
    project = await createProgramProject({ 'workflows.ts': program });
  });

  afterAll(async () => {
    await project?.remove();
  });

  it('shows the whole program file, nothing hidden', () => {
    expect(`${program}\n`).toBe(readFileSync(SNIPPET, 'utf8'));
  });

  it('runs as copied: the pages, then the merge with their results, then the e-mail; exits 0', async () => {
    const result = await runProgram(project.dir, 'workflows.ts', { mongodbUri: getTestUri(), timeoutMs: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      'merge-pdf is waiting, waiting for 4 pages',
      'Q3 report: merged 4 pages, 10000 bytes',
      'sent q3-report.pdf to cfo@example.com',
      'done',
    ]);
    expect(readBuiltPage('guides/workflows')).toContain('Q3 report: merged 4 pages, 10000 bytes');
  });
});

describe('the samples of "Workflows"', () => {
  let db: Db;
  const running: Monque[] = [];

  beforeAll(async () => {
    db = await getTestDb(import.meta.url);
  });

  afterAll(async () => {
    await Promise.all(running.map((monque) => monque.stop()));
    await cleanupTestDb(db);
  });

  function quickMonque(): Monque {
    const monque = new Monque(db, { collectionName: freshCollectionName(db), pollInterval: 50, baseRetryInterval: 10 });
    running.push(monque);
    return monque;
  }

  it('a chain whose first step fails: its dead letter runs, the next steps are cancelled, the audit runs', async () => {
    const monque = quickMonque();
    const lines: string[] = [];
    registerChainWorkers(monque, (line) => lines.push(line));
    const [charge, ship, email, audit] = (await orderChain(monque, 7)) as [Job, Job, Job, Job];
    await monque.start();
    await waitUntil(async () => lines.length === 4, 'the dead letter and the audit');
    await monque.stop();
    expect(lines.sort()).toEqual(
      [
        'order 7: charge failed (card declined)',
        'charge: failed',
        'ship: cancelled',
        'email-receipt: cancelled',
      ].sort(),
    );
    const stored = async (job: Job) => (await monque.getJob(job._id))?.status;
    expect([await stored(charge), await stored(ship), await stored(email), await stored(audit)]).toEqual([
      'failed',
      'cancelled',
      'cancelled',
      'completed',
    ]);
  });

  it('the operations: waiting jobs, dependencies, dependents, a flow’s progress, and a cancel that cascades', async () => {
    const monque = quickMonque();
    const tree = await monque.flow({ name: 'root', data: {}, children: [{ name: 'leaf', data: {} }] });
    const middle = await monque.enqueue('middle', {}, { dependsOn: [tree.job._id] });
    await monque.enqueue('last', {}, { dependsOn: [middle._id] });
    expect(await inspectWorkflow(monque, tree.job)).toEqual([
      'waiting: 3',
      'dependencies: 1',
      'dependents: 1',
      'flow: 0 completed',
    ]);
    expect(await monque.countJobs({ status: 'cancelled' })).toBe(3);
  });
});
