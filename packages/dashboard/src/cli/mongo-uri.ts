/**
 * A MongoDB connection string as the CLI and `monque-dashboard` handle it: a client made from it
 * (a string the driver cannot read is a usage error, not a crash), and its credentials kept out of
 * every message, whatever characters they hold.
 */
import { MongoClient } from 'mongodb';
import { UsageError } from './usage-error.js';

/** The user info of a URI: everything between `://` and the last `@` (a password may hold `/`, `@`, `?`). */
function userInfoOf(uri: string): string | undefined {
  const start = uri.indexOf('://');
  const end = uri.lastIndexOf('@');
  return start >= 0 && end > start + 3 ? uri.slice(start + 3, end) : undefined;
}

/** `uri` with its user info replaced by `***` (`mongodb://***@host/db`). */
export function maskUri(uri: string): string {
  const info = userInfoOf(uri);
  if (info === undefined) return uri;
  const start = uri.indexOf('://') + 3;
  return `${uri.slice(0, start)}***${uri.slice(start + info.length)}`;
}

/** `text` with the URI's user info and password removed, as written and URL-decoded. */
export function hideSecrets(text: string, uri: string | undefined): string {
  const info = uri === undefined ? undefined : userInfoOf(uri);
  if (!info || !uri) return text;
  const password = info.includes(':') ? info.slice(info.indexOf(':') + 1) : '';
  const secrets = new Set([uri, info, password].filter((secret) => secret.length >= 3));
  for (const secret of [...secrets]) {
    try {
      secrets.add(decodeURIComponent(secret));
    } catch {
      // not URL-encoded: the text as written is enough
    }
  }
  let hidden = text;
  // Longest first, so the whole URI is replaced before its parts.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    hidden = hidden.split(secret).join(secret === uri ? maskUri(uri) : '***');
  }
  return hidden;
}

/**
 * A client for `uri` (not connected), with 10 s to find a server unless the URI says otherwise.
 * @throws UsageError when the driver cannot read the URI or its options (port 99999, `tls=maybe`)
 */
export function openClient(uri: string, appName: string): MongoClient {
  if (!/^mongodb(\+srv)?:\/\//.test(uri)) throw new UsageError('--uri must start with mongodb:// or mongodb+srv://');
  const timeout = /[?&]serverSelectionTimeoutMS=/i.test(uri) ? {} : { serverSelectionTimeoutMS: 10_000 };
  try {
    return new MongoClient(uri, { ...timeout, appName });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`--uri ${maskUri(uri)} is not a valid connection string: ${hideSecrets(message, uri)}`);
  }
}
