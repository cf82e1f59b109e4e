/**
 * A change through the dashboard when the database link fails mid-way (the wire-level fault proxy
 * of tools/test-backend between the dashboard's Monque and the server): when the change may have
 * been applied (its reply was lost, a later command of a bulk action failed after an earlier one
 * went through), the answer says so (`mayHaveBeenApplied: true`, "reload to see"), never a plain
 * "failed"; when nothing was sent, it says the database cannot be reached.
 */
import type { Job, Monque } from '@monque/core';
import { type FaultProxy, getTestUri, startFaultProxy } from '@monque/test-backend';
import { type Db, MongoClient } from 'mongodb';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDashboard } from '../src/index.js';
import { runWith } from './helpers/cli.js';
import { post, serve } from './helpers/http.js';
import { freshMonque, insertJobs, useDashboardDb } from './helpers/jobs.js';

const getDb = useDashboardDb(import.meta.url);

let db: Db;
let proxy: FaultProxy;
let client: MongoClient;
let collection: string;
let api: string;

beforeAll(async () => {
  db = await getDb();
});

beforeEach(async () => {
  proxy = await startFaultProxy(getTestUri());
  client = await new MongoClient(proxy.uri, {
    serverSelectionTimeoutMS: 1_000,
    retryWrites: false,
    retryReads: false,
  }).connect();
  // The collection and its cleanup from the test database; the dashboard's Monque goes through the proxy.
  collection = (freshMonque(db) as unknown as { options: { collectionName: string } }).options.collectionName;
  const { Monque } = await import('@monque/core');
  const monque: Monque = new Monque(client.db(db.databaseName), { collectionName: collection });
  api = `${(await serve(createDashboard({ monque }))).origin}/api`;
  await monque.countJobs(); // indexes made, connection open
});

afterEach(async () => {
  proxy.heal();
  proxy.clearFaults();
  await client.close(true).catch(() => undefined);
  await proxy.close();
});

const jobs = () => db.collection<Job>(collection);

type ErrorBody = { error: string; mayHaveBeenApplied?: boolean };

describe('a bulk action whose outcome is lost', () => {
  it('a delete whose reply is lost answers that it may have been applied (it was)', async () => {
    await insertJobs(
      db,
      collection,
      Array.from({ length: 5 }, () => ({ name: 'to-delete', status: 'failed' as const })),
    );
    proxy.loseReply({ name: 'delete' });
    const answer = await post<ErrorBody>(`${api}/jobs/delete`, { name: 'to-delete' });
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({
      error: 'the database did not confirm the change: it may have been applied; reload to see what changed',
      mayHaveBeenApplied: true,
    });
    expect(await jobs().countDocuments({})).toBe(0);
  });

  it('a cancel whose second command is dropped answers that it may have been applied (the first was)', async () => {
    await insertJobs(db, collection, [
      ...Array.from({ length: 3 }, () => ({ name: 'to-cancel', status: 'pending' as const })),
      { name: 'to-cancel', status: 'processing' },
    ]);
    let updates = 0;
    proxy.dropRequest((command) => command.name === 'update' && ++updates === 2);
    const answer = await post<ErrorBody>(`${api}/jobs/cancel`, { name: 'to-cancel' });
    expect(answer.status).toBe(503);
    expect(answer.body.mayHaveBeenApplied).toBe(true);
    expect(await jobs().countDocuments({ status: 'cancelled' })).toBe(3);
  });
});

describe('the CLI', () => {
  it('says a bulk delete whose reply is lost may have been applied (exit 1), in text and in JSON', async () => {
    await insertJobs(
      db,
      collection,
      Array.from({ length: 3 }, () => ({ name: 'to-delete', status: 'failed' as const })),
    );
    const run = (...args: string[]) =>
      runWith([...args, '--db', db.databaseName, '--collection', collection], { env: { MONGODB_URI: proxy.uri } });
    proxy.loseReply({ name: 'delete' });
    const text = await run('delete', '--name', 'to-delete');
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(
      /^error: the database did not confirm the change: it may have been applied; check with monque list/,
    );
    await insertJobs(db, collection, [{ name: 'to-delete', status: 'failed' }]);
    proxy.loseReply({ name: 'delete' });
    const json = await run('delete', '--name', 'to-delete', '--json');
    expect(JSON.parse(json.stderr)).toMatchObject({ exitCode: 1, code: 'MONQUE_CONNECTION', mayHaveBeenApplied: true });
    expect(await jobs().countDocuments({})).toBe(0);
  });
});

describe('a change that was never sent', () => {
  it('answers that the database cannot be reached, and nothing changed', async () => {
    await insertJobs(db, collection, [{ name: 'kept', status: 'failed' }]);
    proxy.partition({ mode: 'reset' });
    await post(`${api}/jobs/delete`, { name: 'kept' }); // meets the reset connection: its fate is unknown
    const answer = await post<ErrorBody>(`${api}/jobs/delete`, { name: 'kept' });
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: 'the database cannot be reached; try again shortly' });
    proxy.heal();
    expect(await jobs().countDocuments({})).toBe(1);
  });
});
