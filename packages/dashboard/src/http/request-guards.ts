/**
 * Checks that keep other sites from using the dashboard through a visitor's browser:
 * the `Host` allow-list (DNS rebinding), the origin of API requests (`Sec-Fetch-Site`, `Origin`)
 * and the content type of changes (a plain HTML form cannot send `application/json`).
 */
import type { IncomingMessage } from 'node:http';

/** Why a request was refused, or `null` when it may go on. */
export type Refusal = { status: number; message: string } | null;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Refuses a `Host` that is not on the allow-list (when there is one). */
export function checkHost(req: IncomingMessage, allowedHosts: ReadonlySet<string> | undefined): Refusal {
  if (!allowedHosts) return null;
  const host = header(req, 'host')?.toLowerCase();
  if (host && allowedHosts.has(host)) return null;
  return { status: 421, message: `this dashboard does not answer for host ${JSON.stringify(host ?? '')}` };
}

/**
 * Refuses an API request sent from another site: `Sec-Fetch-Site` (sent by current browsers) must
 * be `same-origin` or `none`, and `Origin`, when present, must be this server's own origin (the
 * `Host` header's) or a trusted one. Clients that send neither (curl, scripts) are not browsers
 * acting for a visitor, and pass. Only the host and port are compared, not the scheme: behind a
 * TLS-terminating proxy the browser says `https` while this server sees plain HTTP.
 */
export function checkSameOrigin(req: IncomingMessage, trustedOrigins: ReadonlySet<string>): Refusal {
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { status: 403, message: `cross-site request refused (Sec-Fetch-Site: ${site})` };
  }
  const origin = header(req, 'origin');
  if (origin === undefined) return null;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return { status: 403, message: `cross-origin request refused (Origin: ${origin})` };
  }
  if (trustedOrigins.has(url.origin)) return null;
  const host = header(req, 'host');
  if (host) {
    try {
      if (new URL(`${url.protocol}//${host}`).host === url.host) return null;
    } catch {
      // a Host header that is not a host: refused below
    }
  }
  return { status: 403, message: `cross-origin request refused (Origin: ${origin})` };
}

/** Refuses a change whose body is not declared as JSON (HTML forms send other types). */
export function checkJsonContentType(req: IncomingMessage): Refusal {
  const type = header(req, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') return null;
  return { status: 415, message: `changes must be sent as Content-Type: application/json (got ${type ?? 'none'})` };
}
