/**
 * Every public method that writes is honest about a lost reply: the server applies its write
 * command and the reply never comes back; the call then either resolves (it learnt what was
 * written) or rejects with `mayHaveBeenApplied: true`, never with `false` while the change was
 * made. (`schedule`, `unschedule`, `cancelJob`, `rescheduleJob`, `pause`, `resume` … once all said
 * `false` although the change was stored.)
 */
import { freshCollectionName, type WireCommand } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ConnectionError, type Monque } from '../../src/index.js';
import { faultyMonque } from '../helpers/faulty.js';
import { jobsOf } from '../helpers/monque.js';
import { rememberSideCollections, useOperationsDb } from '../operations/helpers.js';

const getDb = useOperationsDb(import.meta.url);

const WRITES = ['insert', 'update', 'delete', 'findAndModify'];
/** A write command on collection `name`. */
const writeOn =
  (name: string) =>
  (command: WireCommand): boolean =>
    command.collection === name && WRITES.includes(command.name);

interface Case {
  /** Prepares the state (through the same scheduler, no fault yet); returns what `call` needs. */
  setup(monque: Monque): Promise<unknown>;
  /** The collection whose first write command loses its reply: jobs unless `control`. */
  control?: boolean;
  /** Which write command of the call loses its reply. @defaultValue the first */
  which?: (command: WireCommand) => boolean;
  call(monque: Monque, prepared: unknown): Promise<unknown>;
  /** Whether the change is stored. */
  applied(db: Db, monque: Monque, prepared: unknown): Promise<boolean>;
}

const idOf = (prepared: unknown) => (prepared as { _id: never })._id;
const status = async (db: Db, monque: Monque, prepared: unknown) =>
  (await jobsOf(db, monque).findOne({ _id: idOf(prepared) }))?.status;
const LATER = new Date('2100-01-01T00:00:00.000Z');

const CASES: Record<string, Case> = {
  'schedule()': {
    setup: async () => undefined,
    call: (monque) => monque.schedule('* * * * *', 'cron-job', {}),
    applied: async (db, monque) => (await jobsOf(db, monque).countDocuments({ name: 'cron-job' })) === 1,
  },
  'schedule() with a new cron': {
    setup: (monque) => monque.schedule('0 3 * * *', 'cron-job', {}),
    // The write of the new cron (fenced on the schedule read), not the upsert that finds the cron changed.
    which: (command) => (command.body.query as { _id?: unknown } | undefined)?._id !== undefined,
    call: (monque) => monque.schedule('*/5 * * * *', 'cron-job', {}),
    applied: async (db, monque) =>
      (await jobsOf(db, monque).countDocuments({ name: 'cron-job', repeatInterval: '*/5 * * * *' })) === 1,
  },
  'unschedule()': {
    setup: (monque) => monque.schedule('* * * * *', 'cron-job', {}),
    call: (monque) => monque.unschedule('cron-job'),
    applied: async (db, monque) => (await jobsOf(db, monque).countDocuments({ name: 'cron-job' })) === 0,
  },
  'cancelJob()': {
    setup: (monque) => monque.enqueue('one', {}),
    call: (monque, job) => monque.cancelJob(idOf(job)),
    applied: async (db, monque, job) => (await status(db, monque, job)) === 'cancelled',
  },
  'rescheduleJob()': {
    setup: (monque) => monque.enqueue('one', {}),
    call: (monque, job) => monque.rescheduleJob(idOf(job), LATER),
    applied: async (db, monque, job) =>
      (await jobsOf(db, monque).findOne({ _id: idOf(job) }))?.nextRunAt.getTime() === LATER.getTime(),
  },
  'deleteJob()': {
    setup: (monque) => monque.enqueue('one', {}),
    call: (monque, job) => monque.deleteJob(idOf(job)),
    applied: async (db, monque, job) => (await status(db, monque, job)) === undefined,
  },
  'pause()': {
    setup: async () => undefined,
    control: true,
    call: (monque) => monque.pause('one'),
    applied: async (db, monque) =>
      (await db.collection(`${monque.options.collectionName}_control`).countDocuments({})) === 1,
  },
  'resume()': {
    setup: (monque) => monque.pause('one'),
    control: true,
    call: (monque) => monque.resume('one'),
    applied: async (db, monque) =>
      (await db.collection(`${monque.options.collectionName}_control`).countDocuments({})) === 0,
  },
};

describe('a public write whose reply is lost', () => {
  for (const [method, { setup, control, which = () => true, call, applied }] of Object.entries(CASES)) {
    it(`${method}: resolves having written, or rejects saying it may have been applied`, async () => {
      const db = await getDb();
      const collectionName = freshCollectionName(db);
      rememberSideCollections(collectionName);
      const { monque, proxy } = await faultyMonque(db, collectionName);
      const prepared = await setup(monque);
      await monque.getPaused();
      const onCollection = writeOn(control ? `${collectionName}_control` : collectionName);
      const lost = proxy.loseReply((command) => onCollection(command) && which(command));
      const error = await call(monque, prepared).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(lost.hits).toBe(1);
      expect(await applied(db, monque, prepared)).toBe(true);
      if (error !== undefined) {
        expect(error).toBeInstanceOf(ConnectionError);
        expect((error as ConnectionError).mayHaveBeenApplied).toBe(true);
        expect((error as ConnectionError).message).toContain('it may have been applied');
      }
    });
  }
});
