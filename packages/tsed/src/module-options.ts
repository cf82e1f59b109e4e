/**
 * Options of the Ts.ED module: `MonqueModule.forRoot(options)` or the `monque` configuration key.
 */
import type { MonqueOptions } from '@monque/core';
import type { Db } from 'mongodb';
import type { MongooseConnectionLike } from './connection.js';

/** Core's {@link MonqueOptions} plus where the database comes from and what this process does. */
export interface MonqueModuleOptions extends MonqueOptions {
  /**
   * The database: a Mongoose `Connection` (an unopened one is waited for) or a native `Db`.
   * Without it, the connection `connectionId` of `@tsed/mongoose` is used.
   */
  connection?: MongooseConnectionLike | Db;
  /**
   * Id of the `@tsed/mongoose` connection to use when `connection` is not given.
   * @defaultValue `@tsed/mongoose`'s default connection
   */
  connectionId?: string;
  /**
   * How long (ms) to wait at boot for a Mongoose connection that is not open yet.
   * @defaultValue 30000
   */
  connectionTimeout?: number;
  /**
   * Producer-only mode (e.g. an API server that only enqueues): no worker is registered and the
   * scheduler is not started; `Monque` is injectable and `cron` jobs are still scheduled.
   * `MonqueModule.start()` starts processing anyway.
   * @defaultValue false
   */
  disableJobProcessing?: boolean;
  /**
   * Log every failed run through Ts.ED's logger (`logger()`, i.e. `$log` unless replaced): event
   * `MONQUE_JOB_FAILED` with the job's name and id, the error's name and message, `failCount` and
   * `willRetry` — never the job's data. A run that will be retried is logged at `warn`, a final
   * failure at `error`. `false` turns it off (listen to `monque.on('job:fail')` yourself).
   * @defaultValue true
   */
  logFailures?: boolean;
}

declare global {
  namespace TsED {
    interface Configuration {
      /** `@monque/tsed` settings; `MonqueModule.forRoot()` options take precedence. */
      monque?: MonqueModuleOptions;
    }
  }
}
