/**
 * `isHealthy()`: true only while running and the database answers; a lost connection makes it
 * false, and it becomes true again once the database answers again.
 */
import { getTestUri, waitUntil } from '@monque/test-backend';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../src/index.js';
import { createMonque, nextEvent, useTestDb, waitForStatus } from './helpers/monque.js';
import { openOwnClient, useOwnClients } from './helpers/own-client.js';
import { startPausableProxy } from './helpers/pausable-proxy.js';

const getDb = useTestDb(import.meta.url);
useOwnClients();

describe('ping()', () => {
  it('true when the database answers, false within operationTimeout when it does not (started or not)', async () => {
    const db = await getDb();
    const { client, link } = await openOwnClient();
    const monque = createMonque(client.db(db.databaseName), { operationTimeout: 300 });
    expect(await monque.ping()).toBe(true);
    link.pause();
    const began = Date.now();
    expect(await monque.ping()).toBe(false);
    expect(Date.now() - began).toBeLessThan(5_000);
    link.resume();
    await waitUntil(() => monque.ping(), 'ping() to answer again', { timeoutMs: 10_000 });
  });
});

describe('isHealthy()', () => {
  it('is false before start(), true while running, false after stop()', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('noop', () => {});
    expect(monque.isHealthy()).toBe(false);
    await monque.start();
    expect(monque.isHealthy()).toBe(true);
    const job = await monque.enqueue('noop', {});
    await waitForStatus(db, monque, job._id, JobStatus.COMPLETED);
    expect(monque.isHealthy()).toBe(true);
    await monque.stop();
    expect(monque.isHealthy()).toBe(false);
  });

  it('stays true for an idle instance with no worker (the database is pinged)', async () => {
    const db = await getDb();
    const monque = createMonque(db, { pollInterval: 20 });
    await monque.start();
    const errors: Error[] = [];
    monque.on('job:error', ({ error }) => errors.push(error));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(monque.isHealthy()).toBe(true);
    expect(errors).toEqual([]);
    await monque.stop();
  });

  it('becomes false when its client is closed', async () => {
    const db = await getDb();
    const { client } = await openOwnClient();
    const monque = createMonque(client.db(db.databaseName), { pollInterval: 20 });
    monque.worker('noop', () => {});
    await monque.start();
    expect(monque.isHealthy()).toBe(true);
    await client.close();
    await waitUntil(() => !monque.isHealthy(), 'isHealthy() to turn false', { timeoutMs: 3_000 });
    await monque.stop();
  });

  it('becomes false when the connection is lost, and true again once the database answers', async () => {
    const db = await getDb();
    const { client, link } = await openOwnClient();
    const monque = createMonque(client.db(db.databaseName), { pollInterval: 20 });
    monque.worker('report', () => {});
    await monque.start();
    expect(monque.isHealthy()).toBe(true);

    const reported = nextEvent(monque, 'job:error');
    link.pause();
    await waitUntil(() => !monque.isHealthy(), 'isHealthy() to turn false', { timeoutMs: 5_000 });
    expect((await reported).error).toBeInstanceOf(Error);
    expect(monque.isRunning).toBe(true);

    link.resume();
    await waitUntil(() => monque.isHealthy(), 'isHealthy() to turn true again', { timeoutMs: 10_000 });
    // It really works again: a job enqueued through the shared client runs.
    const job = await monque.enqueue('report', {});
    await waitForStatus(db, monque, job._id, JobStatus.COMPLETED);
    await monque.stop();
  });

  it('becomes false as soon as the driver sees the server fail, long before a poll would notice', async () => {
    const db = await getDb();
    const link = await startPausableProxy(getTestUri());
    const client = await new MongoClient(link.uri, {
      serverSelectionTimeoutMS: 30_000,
      heartbeatFrequencyMS: 500,
    }).connect();
    try {
      // A one-minute poll interval and no work: only the driver's monitoring can tell.
      const monque = createMonque(client.db(db.databaseName), { pollInterval: 60_000 });
      await monque.start();
      expect(monque.isHealthy()).toBe(true);
      link.pause();
      await waitUntil(() => !monque.isHealthy(), 'isHealthy() to turn false', { timeoutMs: 5_000 });
      await monque.stop();
    } finally {
      await link.close();
      await client.close(true).catch(() => {});
    }
  });

  it('becomes false when the connection is lost while an idle instance (no worker) waits', async () => {
    const db = await getDb();
    const { client, link } = await openOwnClient();
    const monque = createMonque(client.db(db.databaseName), { pollInterval: 20 });
    await monque.start();
    expect(monque.isHealthy()).toBe(true);
    link.pause();
    await waitUntil(() => !monque.isHealthy(), 'isHealthy() to turn false', { timeoutMs: 5_000 });
    link.resume();
    await waitUntil(() => monque.isHealthy(), 'isHealthy() to turn true again', { timeoutMs: 10_000 });
    await monque.stop();
  });

  it('start() on an unreachable database rejects with ConnectionError and stays unhealthy', async () => {
    const db = await getDb();
    const { client, link } = await openOwnClient();
    const monque = createMonque(client.db(db.databaseName), { collectionName: 'never_created_here' });
    link.pause();
    const error = await monque.start().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('ConnectionError');
    expect(monque.isHealthy()).toBe(false);
    expect(monque.isRunning).toBe(false);
    await monque.stop();
  });
});
