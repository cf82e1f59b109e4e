/**
 * Ts.ED server configuration with a native `Db`: `MonqueModule.forRoot()`.
 */
// #region server
import '@tsed/platform-express';
import { MonqueModule } from '@monque/tsed';
import { Configuration } from '@tsed/di';
import { MongoClient } from 'mongodb';
import { HealthController } from './health-controller.js';
import { JobsController } from './jobs-controller.js';
import './send-email-job.js'; // @Job classes must be imported somewhere
import './recurring-job.js';

/** e.g. mongodb://127.0.0.1:27017/my_app — the database named in the URI holds the jobs. */
export const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/my_app', {
  writeConcern: { w: 'majority' },
});

@Configuration({
  httpPort: process.env.PORT ?? 8080,
  httpsPort: false,
  mount: { '/': [HealthController, JobsController] },
  imports: [
    MonqueModule.forRoot({
      connection: client.db(), // the driver connects on first use; main.ts connects it up front
      defaultConcurrency: 10,
      shutdownTimeout: 25_000, // below the orchestrator's grace period (Kubernetes: 30 s)
    }),
  ],
})
export class Server {}
// #endregion server

// #region producer
/** An API process that only enqueues: no workers, no polling; `cron` jobs are still scheduled. */
@Configuration({
  monque: { connection: client.db(), disableJobProcessing: true },
})
export class ApiServer {}
// #endregion producer
