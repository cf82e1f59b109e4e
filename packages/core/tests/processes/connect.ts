/**
 * The database of a child script: the test backend's URI comes from the environment the parent
 * passed on (`MONQUE_TEST_URI`), the database name from the command line.
 */
import { type Db, MongoClient } from 'mongodb';

/** Connects to the test backend and opens database `databaseName`. */
export async function connectToTestDb(databaseName: string): Promise<{ client: MongoClient; db: Db }> {
  const uri = process.env.MONQUE_TEST_URI;
  if (!uri) throw new Error('MONQUE_TEST_URI is not set (start this script from a test)');
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  return { client, db: client.db(databaseName) };
}

/** The command-line argument at `index` (after the script path); exits when it is missing. */
export function argument(index: number, what: string): string {
  const value = process.argv[2 + index];
  if (value === undefined || value === '') {
    process.stderr.write(`missing argument ${index}: ${what}\n`);
    process.exit(2);
  }
  return value;
}
