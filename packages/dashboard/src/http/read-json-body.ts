/** Reads a request's JSON body (an object), up to a size limit. */
import type { IncomingMessage } from 'node:http';
import { BadRequest } from '../api/bad-request.js';

/** A request a framework may already have parsed (`express.json()` sets `req.body`). */
type MaybeParsed = IncomingMessage & { body?: unknown };

function asObject(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new BadRequest('the body must be a JSON object');
}

/**
 * The body as an object: `{}` when empty. Throws a `BadRequest` with 413 past `limit` bytes, 411
 * for a body a framework read already whose size was never declared (it cannot be checked), and
 * 400 for anything that is not a JSON object.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  const hasLength = req.headers['content-length'] !== undefined && Number.isFinite(declared);
  if (hasLength && declared > limit) throw new BadRequest(`the body is over ${limit} bytes`, 413);
  // A framework's body parser (express.json()) may have read the stream already: use its result,
  // when its size is known. Sent in chunks (no Content-Length), it was measured only against the
  // framework's own limit, so it is refused rather than let past `limit`.
  const parsed = (req as MaybeParsed).body;
  if (parsed !== undefined && (req.readableEnded || !req.readable)) {
    if (!hasLength) {
      throw new BadRequest(
        'the body was read before the dashboard (express.json()?) and its size is unknown: send Content-Length',
        411,
      );
    }
    if (Buffer.isBuffer(parsed) || typeof parsed === 'string') return parseText(String(parsed), limit);
    return asObject(parsed);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > limit) throw new BadRequest(`the body is over ${limit} bytes`, 413);
    chunks.push(buffer);
  }
  return parseText(Buffer.concat(chunks).toString('utf8'), limit);
}

function parseText(text: string, limit: number): Record<string, unknown> {
  if (Buffer.byteLength(text) > limit) throw new BadRequest(`the body is over ${limit} bytes`, 413);
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequest('the body is not valid JSON');
  }
  return asObject(value);
}
