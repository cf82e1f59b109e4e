/**
 * Ts.ED server configuration with `@tsed/mongoose`: the `monque` settings key.
 */
// #region server
import '@tsed/mongoose';
import '@monque/tsed'; // registers MonqueModule and makes Monque injectable
import { Configuration } from '@tsed/di';
import './send-email-job.js'; // @Job classes must be imported somewhere
import './recurring-job.js';

@Configuration({
  mongoose: [{ id: 'default', url: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/my_app' }],
  monque: {
    // No `connection`: @tsed/mongoose's default connection is used (`connectionId` picks another).
    defaultConcurrency: 10,
    lockTimeout: 5 * 60 * 1000,
    shutdownTimeout: 25_000,
  },
})
export class Server {}
// #endregion server
