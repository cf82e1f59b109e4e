/**
 * The standalone dashboard server behind `monque-dashboard` (and `npm run dashboard`): a
 * `node:http` server around `createDashboard`, bound to 127.0.0.1 unless told otherwise. It has no
 * `authorize` hook, so it answers loopback `Host` names only, and the `allowedHosts` given.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from 'mongodb';
import { createDashboard } from './create-dashboard.js';
import type { DashboardSettings } from './dashboard-options.js';

/** Where and how to serve. */
export interface StandaloneOptions extends DashboardSettings {
  readonly db: Db;
  /** @defaultValue `'monque_jobs'` */
  readonly collectionName?: string;
  /** @defaultValue 3000 (0 picks a free port) */
  readonly port?: number;
  /** @defaultValue `'127.0.0.1'` */
  readonly host?: string;
}

/** A running standalone server. */
export interface StandaloneServer {
  /** The dashboard's address, e.g. `http://127.0.0.1:3000/`. */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Whether `host` is a loopback address or name. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Starts the server; resolves once it listens. */
export async function startStandaloneServer(options: StandaloneOptions): Promise<StandaloneServer> {
  const host = options.host ?? '127.0.0.1';
  const { db, collectionName, port = 3000, host: _host, ...settings } = options;
  const handler = createDashboard({ db, ...(collectionName ? { collectionName } : {}), ...settings });
  const server = createServer((req, res) => {
    void handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${actualPort}${settings.basePath && settings.basePath !== '/' ? settings.basePath.replace(/\/?$/, '/') : '/'}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
