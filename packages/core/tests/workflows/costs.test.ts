/**
 * What workflows cost in commands, counted with command monitoring (never timed): telling 200
 * dependents takes a few commands, not 200; jobs without dependents pay nothing for workflows.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import type { CommandStartedEvent } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStatus, UnrecoverableError } from '../../src/index.js';
import { openCommandLog } from '../helpers/command-log.js';
import { createMonque, deferred, useTestDb } from '../helpers/monque.js';
import { NO_SWEEP, rawJobs, stored } from './helpers.js';

const getDb = useTestDb(import.meta.url);

/** The most commands telling any number of dependents may take (after the outcome write). */
const MAX_COMMANDS = 6;

/**
 * Whether `event` belongs to the claim loop (reads and claims of due jobs), the driver's upkeep, or
 * another collection (throughput counters, the paused state).
 */
function isClaimLoopOrUpkeep(event: CommandStartedEvent, jobs: string): boolean {
  if (event.command[event.commandName] !== jobs) return true;
  const filter = (event.command.filter ?? event.command.query) as { status?: unknown } | undefined;
  return filter?.status === JobStatus.PENDING;
}

/** Whether `event` reads or writes workflow state (dependencies, dead letters, flows). */
function isWorkflowCommand(event: CommandStartedEvent): boolean {
  const text = JSON.stringify(event.command);
  const fenceOnly = text.replaceAll('"notifyDependents":{"$exists":false}', '');
  return /dependsOn|settledDependencies|notifyDependents|linkPending|deadLetterDue|flowId|staged/.test(fenceOnly);
}

describe('command costs of workflows', () => {
  it.each([
    ['completes: 200 dependents released', 'complete', JobStatus.PENDING],
    ['fails: 200 dependents cancelled', 'fail', JobStatus.CANCELLED],
  ] as const)('a job that %s, in at most 6 commands with its outcome write', async (_, ending, expected) => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const monque = createMonque(log.db, { ...NO_SWEEP, collectionName: freshCollectionName(db) });
      const gate = deferred();
      const started = deferred();
      monque.worker('dependency', async () => {
        started.resolve();
        await gate.promise;
        if (ending === 'fail') throw new UnrecoverableError('no');
      });
      const dependency = await monque.enqueue('dependency', {});
      const dependents = await monque.enqueueMany(
        Array.from({ length: 200 }, (_, n) => ({
          name: 'dependent',
          data: { n },
          options: { dependsOn: [dependency._id] },
        })),
      );
      await monque.start();
      await started.promise;
      log.clear();
      gate.resolve();
      await waitUntil(
        async () => (await rawJobs(db, monque).countDocuments({ name: 'dependent', status: expected })) === 200,
        `200 dependents ${expected}`,
      );
      await waitUntil(async () => (await stored(db, monque, dependency._id))?.notifyDependents === undefined, 'told');
      await monque.stop();
      const jobs = monque.options.collectionName;
      const commands = log.commands.filter((event) => !isClaimLoopOrUpkeep(event, jobs));
      const names = commands.map((event) => event.commandName);
      console.log(`a job that ${_}: ${names.length} commands (${names.join(', ')})`);
      if (process.env.DEBUG_COSTS) {
        for (const event of commands) {
          const updates = (event.command.updates ?? []) as { q: unknown; u: unknown }[];
          console.log(event.commandName, JSON.stringify(updates.map((u) => [u.q, u.u])).slice(0, 400));
        }
      }
      expect(names.length).toBeLessThanOrEqual(MAX_COMMANDS);
      expect(dependents).toHaveLength(200);
    } finally {
      await log.close();
    }
  });

  it('draining 300 jobs without dependents sends no workflow command', async () => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const monque = createMonque(log.db, { ...NO_SWEEP, collectionName: freshCollectionName(db) });
      monque.worker('plain', () => {}, { concurrency: 50 });
      monque.worker('failing', () => {
        throw new UnrecoverableError('no');
      });
      await monque.enqueueMany([
        ...Array.from({ length: 280 }, (_, n) => ({ name: 'plain', data: { n } })),
        ...Array.from({ length: 20 }, (_, n) => ({ name: 'failing', data: { n } })),
      ]);
      log.clear();
      await monque.start();
      await waitUntil(
        async () =>
          (await rawJobs(db, monque).countDocuments({ status: { $in: [JobStatus.COMPLETED, JobStatus.FAILED] } })) ===
          300,
        'the drain',
      );
      await monque.stop();
      const workflow = log.commands.filter(isWorkflowCommand);
      expect(
        workflow.map((event) => event.commandName),
        JSON.stringify(workflow.map((event) => event.command)),
      ).toEqual([]);
    } finally {
      await log.close();
    }
  });
});
