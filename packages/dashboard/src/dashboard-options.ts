/**
 * The options of `createDashboard`, documented where they are declared, and their checks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MonquePublicAPI } from '@monque/core';
import type { Db } from 'mongodb';

/** The part of `Monque` the dashboard uses: the operations API, which works without `start()`. */
export type DashboardMonque = Pick<
  MonquePublicAPI,
  | 'getJob'
  | 'getJobs'
  | 'countJobs'
  | 'getStats'
  | 'getThroughput'
  | 'getSchedules'
  | 'unschedule'
  | 'cancelJob'
  | 'retryJob'
  | 'rescheduleJob'
  | 'deleteJob'
  | 'cancelJobs'
  | 'retryJobs'
  | 'deleteJobs'
  | 'pause'
  | 'resume'
  | 'getPaused'
>;

/**
 * Decides whether a request may go on. Called for every request the dashboard answers, the page
 * and its assets included. Return `true` to allow it; `false` answers 403, or 401 when the hook set
 * `res.statusCode = 401` (with a `WWW-Authenticate` header, to ask a browser for credentials).
 * A hook that throws answers 500.
 */
export type DashboardAuthorize = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** Settings shared by both ways of giving the dashboard its jobs. */
export interface DashboardSettings {
  /**
   * The path the dashboard is served under when the handler sees full paths (`node:http`, or
   * `app.use(handler)` without a path). When a framework strips its mount path (`app.use('/jobs',
   * handler)` in Express, Fastify's middie and Ts.ED), leave it out, or give the same path: both work.
   * @defaultValue `'/'`
   */
  basePath?: string;
  /**
   * Refuse every change (retry, cancel, reschedule, delete, pause, resume) with 403 and hide the
   * buttons in the UI.
   * @defaultValue `false`
   */
  readOnly?: boolean;
  /** Access control, called for every request. @defaultValue none: everyone who reaches the handler may use it */
  authorize?: DashboardAuthorize;
  /**
   * Host names the dashboard answers besides the loopback names (`localhost`, `127.0.0.1`,
   * `[::1]`, any port), as in the `Host` header: `'admin.example.com'` (any port) or
   * `'admin.example.com:8443'` (that port only). Other hosts get 421. Guards against DNS rebinding:
   * a page on another site whose name now points at your server sends its own name as `Host`.
   * @defaultValue without `authorize`: the loopback names only; with `authorize`: any host (the
   * hook decides who may use the dashboard)
   */
  allowedHosts?: readonly string[];
  /**
   * More origins (`https://admin.example.com`) allowed to send changes, for a reverse proxy that
   * rewrites the `Host` header. Same-origin requests are always allowed.
   * @defaultValue none
   */
  trustedOrigins?: readonly string[];
  /**
   * Largest request body accepted, in bytes; bigger ones get 413.
   * @defaultValue 16384
   */
  bodyLimit?: number;
  /**
   * Receives the errors answered with 500 (their details are never sent to the browser).
   * @defaultValue writes them to `console.error`
   */
  onError?: (error: unknown, req: IncomingMessage) => void;
}

/** `createDashboard`'s options: a `Monque` instance, or a database (and collection) to make one from. */
export type DashboardOptions = DashboardSettings &
  (
    | {
        /** The instance whose jobs are shown. It need not be started. */
        monque: DashboardMonque;
        db?: never;
        collectionName?: never;
      }
    | {
        /** The database holding the jobs; the dashboard makes its own `Monque` (never started). */
        db: Db;
        /** The jobs collection. @defaultValue `'monque_jobs'` */
        collectionName?: string;
        monque?: never;
      }
  );

/** The settings after defaults and checks. */
export interface ResolvedSettings {
  readonly basePath: string;
  readonly readOnly: boolean;
  readonly authorize: DashboardAuthorize | undefined;
  readonly allowedHosts: ReadonlySet<string> | undefined;
  readonly trustedOrigins: ReadonlySet<string>;
  readonly bodyLimit: number;
  readonly onError: (error: unknown, req: IncomingMessage) => void;
}

/** The default `bodyLimit`. */
export const DEFAULT_BODY_LIMIT = 16_384;

function fail(message: string): never {
  throw new TypeError(`createDashboard: ${message}`);
}

/** Normalises `basePath`: a leading slash, no trailing one (`'/'` becomes `''`). */
export function normaliseBasePath(basePath: string | undefined): string {
  if (basePath === undefined) return '';
  if (typeof basePath !== 'string' || /[?#\s\\]/.test(basePath) || basePath.includes('..')) {
    fail(`basePath must be a URL path such as '/jobs', got ${JSON.stringify(basePath)}`);
  }
  const trimmed = basePath.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** Checks and completes the settings; a bad one throws a `TypeError` naming it. */
export function resolveSettings(options: DashboardSettings): ResolvedSettings {
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') fail('readOnly must be a boolean');
  if (options.authorize !== undefined && typeof options.authorize !== 'function') {
    fail('authorize must be a function (req, res) => boolean | Promise<boolean>');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') fail('onError must be a function');
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 256) {
    fail(`bodyLimit must be an integer of at least 256 bytes, got ${String(options.bodyLimit)}`);
  }
  const list = (key: 'allowedHosts' | 'trustedOrigins'): string[] | undefined => {
    const value = options[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
      fail(`${key} must be an array of non-empty strings`);
    }
    return value.map((item: string) => item.toLowerCase());
  };
  const hosts = list('allowedHosts');
  const origins = (list('trustedOrigins') ?? []).map((origin) => {
    try {
      return new URL(origin).origin;
    } catch {
      return fail(`trustedOrigins: ${JSON.stringify(origin)} is not an origin such as 'https://admin.example.com'`);
    }
  });
  return {
    basePath: normaliseBasePath(options.basePath),
    readOnly: options.readOnly ?? false,
    authorize: options.authorize,
    allowedHosts: hosts ? new Set(hosts) : undefined,
    trustedOrigins: new Set(origins),
    bodyLimit,
    onError: options.onError ?? ((error) => console.error('[monque-dashboard]', error)),
  };
}
