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

/** A loopback host name, with or without a port: `localhost`, `127.x.y.z`, `[::1]`. */
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/;

/** The host name of a `Host` header, without its port. */
function withoutPort(host: string): string {
  return host.replace(/:\d{1,5}$/, '');
}

/**
 * Refuses a `Host` the dashboard must not answer (DNS rebinding: a page on another site whose name
 * now points at this server sends its own name as `Host`). Loopback names are always answered, and
 * so are the names of `allowedHosts` (an entry without a port matches any port). Without
 * `allowedHosts`, a dashboard with an `authorize` hook answers any host (the hook decides who may
 * use it); one without answers loopback names only.
 */
export function checkHost(
  req: IncomingMessage,
  allowedHosts: ReadonlySet<string> | undefined,
  hasAuthorize: boolean,
): Refusal {
  const host = header(req, 'host')?.toLowerCase();
  if (host && LOOPBACK_HOST.test(host)) return null;
  if (host && allowedHosts && (allowedHosts.has(host) || allowedHosts.has(withoutPort(host)))) return null;
  if (!allowedHosts && hasAuthorize) return null;
  const how = allowedHosts
    ? 'listed in allowedHosts'
    : 'loopback names (add allowedHosts, or an authorize hook, to answer others)';
  return {
    status: 421,
    message: `this dashboard does not answer for host ${JSON.stringify(host ?? '')}: only ${how}`,
  };
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
      // The Host header read with the Origin's scheme, so both give a port (explicit or default).
      const own = new URL(`${url.protocol}//${host}`);
      if (own.hostname === url.hostname && own.port === url.port) return null;
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
