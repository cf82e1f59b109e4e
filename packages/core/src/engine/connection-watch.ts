/**
 * Follows the driver's own server monitoring, so `isHealthy()` turns false as soon as the driver
 * sees the server fail, not only when a poll times out (which can take `serverSelectionTimeoutMS`,
 * 30 s by default, or a whole `pollInterval` for an idle instance). Only a successful database
 * round trip of the scheduler turns health back to true.
 */

/** The part of a `MongoClient` this needs (monitoring events). */
export interface MonitoredClient {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/** Listens to `serverHeartbeatFailed` and `close` while started. */
export class ConnectionWatch {
  private readonly lost = (): void => this.onLost();

  constructor(
    private readonly client: MonitoredClient | undefined,
    private readonly onLost: () => void,
  ) {}

  /** Starts listening (no-op when the `Db` has no client to watch). */
  start(): void {
    this.client?.on('serverHeartbeatFailed', this.lost);
    this.client?.on('close', this.lost);
  }

  /** Stops listening. */
  stop(): void {
    this.client?.off('serverHeartbeatFailed', this.lost);
    this.client?.off('close', this.lost);
  }
}
