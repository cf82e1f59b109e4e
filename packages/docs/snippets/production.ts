/**
 * Production set-up: write concern, a unique readable instance id, a logger, and the indexes an
 * upgrade leaves behind.
 */
import { hostname } from 'node:os';
import { Monque } from '@monque/core';
import { type Db, MongoClient } from 'mongodb';

/** A client and scheduler configured for production. */
export async function productionMonque(uri: string): Promise<{ client: MongoClient; monque: Monque }> {
  // #region client
  const client = new MongoClient(uri, {
    writeConcern: { w: 'majority' }, // claims and outcomes survive a primary failover
    retryWrites: true, // the driver's default; retries a write once on a transient error
  });
  await client.connect();
  const monque = new Monque(client.db('my_app'), {
    instanceId: process.env.HOSTNAME ?? hostname(), // the pod name: unique per live instance, shown as `owner`
    lockTimeout: 5 * 60 * 1000, // above the longest outage one instance may ride out with jobs running
    shutdownTimeout: 25_000, // + 1 s, below Kubernetes' default 30 s grace period
    logger: console, // start/stop, recoveries, lost locks, write trouble; never job data
  });
  // #endregion client
  return { client, monque };
}

/** After upgrading from a version that used them: indexes Monque no longer uses. */
export async function dropUnusedIndexes(db: Db, collectionName = 'monque_jobs'): Promise<void> {
  // #region upgrade
  const jobs = db.collection(collectionName);
  const unused = ['monque_claim', 'ttl_completed', 'ttl_failed']; // replaced by monque_claim_priority and retention
  for (const index of await jobs.indexes()) {
    if (index.name && unused.includes(index.name)) await jobs.dropIndex(index.name);
  }
  // #endregion upgrade
}
