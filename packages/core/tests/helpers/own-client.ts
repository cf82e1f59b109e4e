/**
 * A `MongoClient` of a test's own, reaching the test database through a {@link PausableProxy},
 * so the test can close it or cut its connection without disturbing anyone else.
 */
import { getTestUri } from '@monque/test-backend';
import { MongoClient } from 'mongodb';
import { afterEach } from 'vitest';
import { type PausableProxy, startPausableProxy } from './pausable-proxy.js';

/** A client and the proxy it connects through. */
export interface OwnClient {
  readonly client: MongoClient;
  readonly link: PausableProxy;
}

const opened: OwnClient[] = [];

/** Registers an `afterEach` that closes every client (and proxy) a test opened. Call once per file. */
export function useOwnClients(): void {
  afterEach(async () => {
    for (const { client, link } of opened.splice(0).reverse()) {
      await client.close().catch(() => {});
      await link.close();
    }
  });
}

/**
 * Opens a client with short timeouts (a lost connection shows within a second) through a fresh proxy.
 * The short server-selection timeout is meant for the faults a test makes: a first connection that
 * misses it on a loaded machine is tried again with a new client (at most 5 times).
 */
export async function openOwnClient(): Promise<OwnClient> {
  const link = await startPausableProxy(getTestUri());
  for (let attempt = 1; ; attempt += 1) {
    const client = new MongoClient(link.uri, {
      serverSelectionTimeoutMS: 300,
      connectTimeoutMS: 300,
      socketTimeoutMS: 1_000,
      heartbeatFrequencyMS: 100,
    });
    try {
      await client.connect();
    } catch (error) {
      await client.close().catch(() => {});
      if (attempt < 5) continue;
      await link.close();
      throw error;
    }
    const own = { client, link };
    opened.push(own);
    return own;
  }
}
