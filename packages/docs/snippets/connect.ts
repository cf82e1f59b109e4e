/**
 * Connecting: Monque takes a `Db` from the official driver and never opens a connection itself.
 */
// #region connect
import { Monque } from '@monque/core';
import { MongoClient } from 'mongodb';

/** Connects, creates the scheduler, and returns both (close the client after `monque.stop()`). */
export async function connect(uri: string): Promise<{ client: MongoClient; monque: Monque }> {
  const client = new MongoClient(uri, {
    // Acknowledged by a majority: a claimed or completed job survives a primary failover.
    writeConcern: { w: 'majority' },
  });
  await client.connect();
  const monque = new Monque(client.db('my_app'));
  return { client, monque };
}
// #endregion connect
