/**
 * Schedulers whose database link goes through a fault proxy of their own (tools/test-backend), for
 * black-box fault tests: lost replies, dropped requests, partitions, slow replies. Only that
 * scheduler's client is affected; the test reads and writes the database through its own client.
 */
import { commandDocuments, type FaultProxy, getTestUri, startFaultProxy, type WireCommand } from '@monque/test-backend';
import { type Db, MongoClient } from 'mongodb';
import { afterEach } from 'vitest';
import type { Monque, MonqueOptions } from '../../src/index.js';
import { createMonque } from './monque.js';

const opened: { proxy: FaultProxy; client: MongoClient }[] = [];

afterEach(async () => {
  for (const { proxy, client } of opened.splice(0)) {
    proxy.heal();
    proxy.clearFaults();
    await client.close(true).catch(() => {});
    await proxy.close();
  }
});

/** A scheduler on `collectionName` of `db`, reaching the server through its own fault proxy. */
export async function faultyMonque(
  db: Db,
  collectionName: string,
  options: MonqueOptions = {},
): Promise<{ monque: Monque; proxy: FaultProxy }> {
  const proxy = await startFaultProxy(getTestUri());
  const client = await new MongoClient(proxy.uri, {
    serverSelectionTimeoutMS: 1_000,
    retryWrites: false,
    retryReads: false,
  }).connect();
  opened.push({ proxy, client });
  const monque = createMonque(client.db(db.databaseName), { collectionName, ...options });
  return { monque, proxy };
}

function firstUpdate(command: WireCommand): Record<string, unknown> | undefined {
  if (command.name === 'findAndModify') return command.body.update as Record<string, unknown> | undefined;
  if (command.name === 'update')
    return commandDocuments(command, 'updates')[0]?.u as Record<string, unknown> | undefined;
  return undefined;
}

function setOf(command: WireCommand): Record<string, unknown> {
  return ((firstUpdate(command)?.$set as Record<string, unknown> | undefined) ?? {}) as Record<string, unknown>;
}

/** A claim: a write that moves jobs to `processing`. */
export const isClaim = (command: WireCommand): boolean => setOf(command).status === 'processing';

/** A lock renewal of the heartbeat: a write of `lockedAt` alone. */
export const isRenewal = (command: WireCommand): boolean => {
  const set = setOf(command);
  return 'lockedAt' in set && !('status' in set);
};

/** An outcome write: a write that moves jobs out of `processing`, not a claim. */
export const isOutcome = (command: WireCommand): boolean => {
  if (command.name === 'update' && commandDocuments(command, 'updates').length > 0) {
    const status = setOf(command).status;
    return typeof status === 'string' && status !== 'processing';
  }
  return false;
};

/** A read of due jobs (the claim's candidates). */
export const isDueRead = (command: WireCommand): boolean =>
  command.name === 'find' && (command.body.filter as { status?: unknown } | undefined)?.status === 'pending';
