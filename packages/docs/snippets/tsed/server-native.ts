/**
 * Ts.ED server configuration with a native `Db`: `MonqueModule.forRoot()`.
 */
// #region server
import { MonqueModule } from '@monque/tsed';
import { Configuration } from '@tsed/di';
import { MongoClient } from 'mongodb';
import './send-email-job.js';

// The driver connects on first use; close the client after the application has stopped.
const client = new MongoClient(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017', {
  writeConcern: { w: 'majority' },
});

@Configuration({
  imports: [MonqueModule.forRoot({ connection: client.db('my_app'), defaultConcurrency: 10 })],
})
export class Server {}
// #endregion server

// #region producer
/** An API process that only enqueues: no workers, no polling; `cron` jobs are still scheduled. */
@Configuration({
  monque: { connection: client.db('my_app'), disableJobProcessing: true },
})
export class ApiServer {}
// #endregion producer
