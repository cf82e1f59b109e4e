/**
 * `createDashboard`: a Node request handler serving the dashboard's page, its assets and its JSON
 * API. Every request it answers goes through, in order: the security headers, the `Host` check
 * (loopback names, `allowedHosts`, or any host when `authorize` decides), `authorize`, then (API)
 * the origin check and (changes) read-only mode, `POST`, `Content-Type: application/json` and the
 * body size limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Monque } from '@monque/core';
import { BadRequest } from './api/bad-request.js';
import { matchRoute, runRoute } from './api/routes.js';
import type { DashboardMonque, DashboardOptions, ResolvedSettings } from './dashboard-options.js';
import { resolveSettings } from './dashboard-options.js';
import { answerForError } from './http/error-status.js';
import { readJsonBody } from './http/read-json-body.js';
import { checkHost, checkJsonContentType, checkSameOrigin, type Refusal } from './http/request-guards.js';
import { sendError, sendJson } from './http/respond.js';
import { setSecurityHeaders } from './http/security-headers.js';
import { findUiDirectory, loadUiAssets, type UiAsset } from './static/ui-assets.js';

/** `next` of Express-style frameworks: called for requests outside the dashboard. */
export type NextFunction = (error?: unknown) => void;

/**
 * The handler `createDashboard` returns: `(req, res, next?)` for `node:http`, Express, Fastify
 * (through `@fastify/middie`) and Ts.ED. Requests outside its path go to `next` (404 without one).
 * The returned promise never rejects.
 */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): Promise<void>;
  /** The instance the dashboard reads and changes (the one given, or the one made from `db`). */
  readonly monque: DashboardMonque;
}

/** A request as frameworks hand it over (Express and middie keep the full path in `originalUrl`). */
type FrameworkRequest = IncomingMessage & { originalUrl?: string };

interface Located {
  /** The path inside the dashboard: `''`, `'/'`, `'/api/…'`, `'/assets/…'`. */
  readonly rest: string;
  /** The path as the browser sent it (for redirects). */
  readonly external: string;
  readonly search: URLSearchParams;
}

function pathOf(url: string | undefined): URL | undefined {
  if (!url) return undefined;
  try {
    return new URL(url, 'http://dashboard.invalid');
  } catch {
    return undefined;
  }
}

/**
 * Finds the request's path inside the dashboard, from `req.url` (relative to a framework's mount
 * path) or else `req.originalUrl` (the full path), whichever lies under `basePath`.
 */
function locate(req: FrameworkRequest, basePath: string): Located | undefined {
  const original = pathOf(req.originalUrl) ?? pathOf(req.url);
  for (const url of [pathOf(req.url), pathOf(req.originalUrl)]) {
    if (!url) continue;
    const path = url.pathname;
    if (path === basePath || path.startsWith(`${basePath}/`)) {
      return { rest: path.slice(basePath.length), external: original?.pathname ?? path, search: url.searchParams };
    }
  }
  return undefined;
}

function refuse(res: ServerResponse, refusal: NonNullable<Refusal>): void {
  sendError(res, refusal.status, refusal.message);
}

/**
 * Creates the dashboard's request handler.
 *
 * @example
 * ```ts
 * const server = http.createServer(createDashboard({ monque, basePath: '/jobs' }));
 * ```
 * @throws TypeError for a bad option (naming it)
 */
export function createDashboard(options: DashboardOptions): DashboardHandler {
  if (typeof options !== 'object' || options === null) throw new TypeError('createDashboard: options are required');
  const settings = resolveSettings(options);
  let monque: DashboardMonque;
  if (options.monque && options.db) throw new TypeError('createDashboard: give monque or db, not both');
  if (options.monque) monque = options.monque;
  else if (options.db) {
    monque = new Monque(options.db, options.collectionName ? { collectionName: options.collectionName } : {});
  } else throw new TypeError('createDashboard: give monque (a Monque instance) or db (a mongodb Db)');

  let assets: ReadonlyMap<string, UiAsset> | undefined;
  const handler = async (req: IncomingMessage, res: ServerResponse, next?: NextFunction): Promise<void> => {
    const located = locate(req as FrameworkRequest, settings.basePath);
    if (!located) {
      if (next) next();
      else sendError(res, 404, 'not found');
      return;
    }
    try {
      setSecurityHeaders(res);
      const hostRefusal = checkHost(req, settings.allowedHosts, settings.authorize !== undefined);
      if (hostRefusal) return refuse(res, hostRefusal);
      if (settings.authorize) {
        const allowed = await settings.authorize(req, res);
        if (allowed !== true) {
          if (res.writableEnded) return;
          return sendError(res, res.statusCode === 401 ? 401 : 403, 'not authorized');
        }
      }
      if (located.rest === '/api' || located.rest.startsWith('/api/')) {
        return await serveApi(req, res, located, settings, monque);
      }
      assets ??= loadUiAssets(findUiDirectory());
      return serveUi(req, res, located, assets);
    } catch (error) {
      const answer = answerForError(error);
      if (answer.internal) settings.onError(error, req);
      sendError(res, answer.status, answer.message, {}, answer.mayHaveBeenApplied ? { mayHaveBeenApplied: true } : {});
    }
  };
  return Object.assign(handler, { monque });
}

async function serveApi(
  req: IncomingMessage,
  res: ServerResponse,
  located: Located,
  settings: ResolvedSettings,
  monque: DashboardMonque,
): Promise<void> {
  const originRefusal = checkSameOrigin(req, settings.trustedOrigins);
  if (originRefusal) return refuse(res, originRefusal);
  let segments: string[];
  try {
    segments = located.rest.slice('/api/'.length).split('/').map(decodeURIComponent);
  } catch {
    throw new BadRequest('the path is not valid URL encoding');
  }
  const method = req.method ?? 'GET';
  const match = matchRoute(method, segments);
  if (!match.route) {
    if (match.methods.length > 0) {
      return sendError(res, 405, `use ${match.methods.join(' or ')}`, {
        Allow: [...new Set(match.methods)].join(', '),
      });
    }
    return sendError(res, 404, `no API route ${method} ${located.rest}`);
  }
  let body: Record<string, unknown> = {};
  if (match.route.method === 'POST') {
    if (settings.readOnly) return sendError(res, 403, 'this dashboard is read-only');
    const typeRefusal = checkJsonContentType(req);
    if (typeRefusal) return refuse(res, typeRefusal);
    body = await readJsonBody(req, settings.bodyLimit);
  }
  const result = await runRoute(match.route, {
    monque,
    params: match.params,
    search: located.search,
    body,
    readOnly: settings.readOnly,
  });
  sendJson(res, 200, result);
}

function serveUi(
  req: IncomingMessage,
  res: ServerResponse,
  located: Located,
  assets: ReadonlyMap<string, UiAsset>,
): void {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    sendError(res, 405, 'use GET', { Allow: 'GET, HEAD' });
    return;
  }
  if (located.rest === '' || (located.rest === '/' && !located.external.endsWith('/'))) {
    // The page's asset links are relative: it must be served at a path ending in '/'.
    const query = located.search.toString();
    res.statusCode = 308;
    res.setHeader('Location', `${located.external}/${query ? `?${query}` : ''}`);
    res.end();
    return;
  }
  const key = located.rest === '/' ? 'index.html' : located.rest.slice(1);
  const asset = assets.get(key);
  if (!asset) {
    if (key === 'index.html') {
      sendError(res, 503, 'the dashboard UI is not built: run `npm run build -w packages/dashboard`');
      return;
    }
    sendError(res, 404, 'not found');
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', asset.contentType);
  res.setHeader('Content-Length', asset.body.length);
  res.setHeader('Cache-Control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.end(method === 'HEAD' ? undefined : asset.body);
}
