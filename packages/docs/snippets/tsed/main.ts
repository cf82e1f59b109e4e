/**
 * Starting the application and stopping it on SIGTERM: the platform first, the connection last.
 */
// #region main

import { PlatformExpress } from '@tsed/platform-express';
import type { PlatformBuilder } from '@tsed/platform-http';
import { client, Server } from './server-native.js';

/**
 * Stops in order: `platform.stop()` closes the HTTP server and runs `$onDestroy`, where Monque
 * stops claiming and waits (up to `shutdownTimeout`) for running jobs to finish and store their
 * results; only then is the connection they write through closed.
 */
export async function shutdown(platform: PlatformBuilder): Promise<void> {
  await platform.stop();
  await client.close();
}

export async function main(): Promise<PlatformBuilder> {
  await client.connect(); // fail at boot, not on the first job, when MongoDB is unreachable
  const platform = await PlatformExpress.bootstrap(Server);
  await platform.listen();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // SIGTERM: what Kubernetes, systemd and `docker stop` send; SIGINT: Ctrl-C.
    process.once(signal, () => {
      shutdown(platform).then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }
  return platform;
}
// #endregion main
