/** Writing JSON answers and errors. */
import type { ServerResponse } from 'node:http';

/** Sends `body` as JSON with `status`; API answers are never cached. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** Sends `{ error: message }` with `status` (and `extra` fields, such as `mayHaveBeenApplied`). */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers?: Record<string, string>,
  extra: Record<string, unknown> = {},
): void {
  sendJson(res, status, { error: message, ...extra }, headers);
}
