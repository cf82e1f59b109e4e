/**
 * Every query Monque sends on its hot paths is served by an index: a realistic run (enqueue, the
 * deduplication modes, claim, run, heartbeat, recovery, outcomes, the operations API, the retention
 * sweep, and flow control: claims that rotate across groups, slots of global and group
 * concurrency, rate windows, the figures per group) is recorded with command monitoring, then each
 * recorded read and write is sent again wrapped in `explain`, and no plan may scan the collection.
 * Reading everything (an empty filter) is a scan by nature and is left out, as is the few-document
 * pause collection; and the claim's sort must come from its index, never from an in-memory SORT
 * stage. Needs a server with `explain` (the embedded one has none): it runs against a real MongoDB
 * via MONGODB_URI and is skipped visibly otherwise.
 */
import { freshCollectionName, getCapabilities, waitUntil } from '@monque/test-backend';
import type { CommandStartedEvent, Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/index.js';
import { openCommandLog } from '../helpers/command-log.js';
import { createMonque, deferred, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

const EXPLAINABLE = new Set(['find', 'aggregate', 'count', 'update', 'delete', 'findAndModify', 'distinct']);
/** Fields of a sent command that are not part of the query itself. */
const TRANSPORT =
  /^(\$db|\$clusterTime|\$readPreference|lsid|txnNumber|autocommit|startTransaction|readConcern|writeConcern|cursor|batchSize|singleBatch|ordered|bypassDocumentValidation)$/;

function stripped(command: Document): Document {
  return Object.fromEntries(Object.entries(command).filter(([key]) => !TRANSPORT.test(key)));
}

/** One explainable command per statement (explain takes one update or delete statement at a time). */
function explainable(event: CommandStartedEvent): Document[] {
  const command = stripped(event.command);
  if (event.commandName === 'update')
    return (command.updates as Document[]).map((u) => ({ update: command.update, updates: [u] }));
  if (event.commandName === 'delete')
    return (command.deletes as Document[]).map((d) => ({ delete: command.delete, deletes: [d] }));
  if (event.commandName === 'aggregate') return [{ ...command, cursor: {} }];
  return [command];
}

function filterOf(command: Document): Document | undefined {
  return (command.filter ??
    command.query ??
    command.q ??
    (command.updates as Document[] | undefined)?.[0]?.q ??
    (command.deletes as Document[] | undefined)?.[0]?.q ??
    (command.pipeline as Document[] | undefined)?.[0]?.$match) as Document | undefined;
}

describe('index use', () => {
  it('no hot query of Monque scans the collection, and the claim never sorts in memory', async (ctx) => {
    const capabilities = await getCapabilities();
    if (capabilities.explain !== true) ctx.skip(capabilities.explain);
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    const collectionName = freshCollectionName(db);
    try {
      const monque = createMonque(log.db, {
        collectionName,
        dataIndexes: ['customer.id'],
        lockTimeout: 1_000,
        heartbeatInterval: 100,
        staleCheckInterval: 100,
        retention: { sweepInterval: 100 },
      });
      const hold = deferred();
      monque.worker(
        'work',
        async (job, { progress }) => {
          await progress(50);
          if ((job.data as { hold?: boolean }).hold) await hold.promise;
          if ((job.data as { fail?: boolean }).fail) throw new Error('no');
          return { ok: true };
        },
        { concurrency: 10 },
      );
      await monque.enqueueMany(
        Array.from({ length: 30 }, (_, n) => ({
          name: 'work',
          data: { customer: { id: n % 3 }, fail: n % 5 === 0, hold: n === 1 },
        })),
      );
      await monque.enqueue('work', { customer: { id: 9 } }, { uniqueKey: 'k' });
      // The deduplication modes: replace (an upsert, then a change), debounce past its cap (the
      // upsert misses, a read, a guarded write), throttle (its window by _id, then its job by _id).
      for (let n = 0; n < 2; n += 1) {
        await monque.enqueue(
          'work',
          { n },
          { uniqueKey: 'r', onDuplicate: 'replace', runAt: new Date(Date.now() + 60_000) },
        );
        await monque.enqueue('work', { n }, { uniqueKey: 'd', debounce: 60_000, maxWait: 60_000 });
        await monque.enqueue('work', { n }, { uniqueKey: 't', throttle: 60_000, runAt: new Date(Date.now() + 60_000) });
      }
      await monque.schedule('0 * * * *', 'work', {});
      // Flow control: groups, both concurrency limits and a rate window per group.
      monque.worker('limited', () => {}, {
        concurrency: 4,
        globalConcurrency: 3,
        groupConcurrency: 1,
        rateLimit: { max: 20, duration: 60_000, perGroup: true },
      });
      await monque.enqueueMany(
        Array.from({ length: 12 }, (_, n) => ({ name: 'limited', data: { n }, options: { group: `tenant-${n % 4}` } })),
      );
      // Jobs without a group of a grouped name: once the name is known to have groups, its claims
      // read these apart (the plain lane of its round).
      await monque.enqueueMany([0, 1].map((n) => ({ name: 'limited', data: { plain: n } })));
      await monque.start();
      await new Promise((resolve) => setTimeout(resolve, 400));
      hold.resolve();
      await waitUntil(async () => (await monque.countJobs({ status: JobStatus.PROCESSING })) === 0, 'the runs to end');
      await waitUntil(
        async () => (await monque.countJobs({ name: 'limited', status: JobStatus.COMPLETED })) === 14,
        'the limited runs',
      );
      await monque.getStats();
      await monque.getGroupStats('limited');
      await monque.getJobs({ group: 'tenant-1' });
      await monque.countJobs({ name: 'limited', group: 'tenant-2', status: JobStatus.COMPLETED });
      await monque.getJobs({ name: 'work', status: JobStatus.FAILED });
      await monque.getJobs({ status: JobStatus.COMPLETED }, { limit: 5 });
      await monque.getJobs({ data: { 'customer.id': 1 } });
      await monque.countJobs({ name: 'work' });
      await monque.getSchedules();
      const [some] = (await monque.getJobs({ name: 'work' }, { limit: 1 })).jobs;
      await monque.getJobs({ ids: [some?._id.toHexString() as string] });
      await monque.retryJobs({ name: 'work', status: JobStatus.FAILED });
      await monque.cancelJobs({ name: 'work', status: JobStatus.PENDING });
      await monque.deleteJobs({ status: JobStatus.CANCELLED });
      await monque.enqueue('work', {});
      await nextEvent(monque, 'job:complete');
      await monque.stop();
      const plans: { command: Document; plan: Document }[] = [];
      for (const event of log.commands) {
        if (!EXPLAINABLE.has(event.commandName)) continue;
        const target = String(event.command[event.commandName]);
        if (!target.startsWith(collectionName) || target.endsWith('_control')) continue;
        for (const command of explainable(event)) {
          const filter = filterOf(command);
          if (filter && Object.keys(filter).length === 0) continue;
          const plan = await db.command({ explain: command, verbosity: 'queryPlanner' });
          plans.push({ command, plan });
        }
      }
      expect(plans.length).toBeGreaterThan(20);
      // The read of a grouped name's jobs without a group was among them.
      expect(
        plans.some(({ command }) => JSON.stringify(filterOf(command) ?? {}).includes('"group":{"$exists":false}')),
      ).toBe(true);
      // The probe of a backlogged name not known to have groups (`work`): one grouped due job at most.
      expect(
        plans.some(
          ({ command }) =>
            command.limit === 1 &&
            (filterOf(command) as Document | undefined)?.name === 'work' &&
            JSON.stringify(filterOf(command) ?? {}).includes('"group":{"$exists":true}'),
        ),
      ).toBe(true);
      const scans = plans.filter(({ plan }) => JSON.stringify(plan).includes('COLLSCAN'));
      expect(scans.map(({ command }) => JSON.stringify(command))).toEqual([]);
      // The claim's order (priority descending, then due time) comes from walking the claim index
      // (or merging its walks, one per name): an in-memory SORT would read every due job first.
      const claims = plans.filter(({ command }) => 'priority' in ((command.sort as Document | undefined) ?? {}));
      expect(claims.length).toBeGreaterThan(0);
      const sorted = claims.filter(({ plan }) => /"stage":"SORT"/.test(JSON.stringify(plan.queryPlanner?.winningPlan)));
      expect(sorted.map(({ command }) => JSON.stringify(command))).toEqual([]);
    } finally {
      await log.close();
    }
  }, 60_000);
});
