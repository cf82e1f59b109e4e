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

/**
 * URI options whose value is a secret: any password (`proxyPassword`, `tlsCertificateKeyFilePassword`),
 * secret or token, and `authMechanismProperties` (it may hold `AWS_SESSION_TOKEN:…`).
 */
const SECRET_OPTION = /pass|secret|token|authMechanismProperties/i;

/**
 * The values of the URI's secret options as written, found after the `?` past the user info, with
 * the parts of a list such as `AWS_SESSION_TOKEN:abc,SERVICE_NAME:x` (a message may quote one).
 */
function secretOptionValuesOf(uri: string): string[] {
  const afterInfo = uri.slice(uri.lastIndexOf('@') + 1);
  const query = afterInfo.includes('?') ? afterInfo.slice(afterInfo.indexOf('?') + 1) : '';
  const values: string[] = [];
  for (const option of query.split('&')) {
    const equals = option.indexOf('=');
    if (equals <= 0 || !SECRET_OPTION.test(option.slice(0, equals))) continue;
    const value = option.slice(equals + 1);
    values.push(value, ...value.split(',').map((part) => part.slice(part.indexOf(':') + 1)));
  }
  return values;
}

/** `uri` with its user info replaced by `***` (`mongodb://***@host/db`), and every secret option's value too. */
export function maskUri(uri: string): string {
  const info = userInfoOf(uri);
  const start = uri.indexOf('://') + 3;
  const masked = info === undefined ? uri : `${uri.slice(0, start)}***${uri.slice(start + info.length)}`;
  const at = masked.lastIndexOf('@') + 1;
  const query = masked.indexOf('?', at);
  if (query < 0) return masked;
  const options = masked
    .slice(query + 1)
    .split('&')
    .map((option) => {
      const equals = option.indexOf('=');
      return equals > 0 && SECRET_OPTION.test(option.slice(0, equals)) ? `${option.slice(0, equals)}=***` : option;
    });
  return `${masked.slice(0, query + 1)}${options.join('&')}`;
}

/** `text` with the URI's user info, password and secret options removed, as written and URL-decoded. */
export function hideSecrets(text: string, uri: string | undefined): string {
  if (!uri) return text;
  const info = userInfoOf(uri) ?? '';
  const password = info.includes(':') ? info.slice(info.indexOf(':') + 1) : '';
  const options = secretOptionValuesOf(uri);
  if (!info && options.length === 0) return text;
  const secrets = new Set([uri, info, password, ...options].filter((secret) => secret.length >= 3));
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
