/**
 * The pages of `GET schedules`: `limit` (1 to 1000, default 1000) and `after`, the `nextCursor` a
 * page gave (base64url of the JSON `{ name, uniqueKey? }` of its last job), checked here before
 * Monque sees them.
 */
import { BadRequest } from './bad-request.js';

/** Where a page starts: after the recurring job with this name and unique key (one per pair). */
export type ScheduleAfter = { name: string; uniqueKey?: string };

const MAX_SCHEDULES_PAGE = 1000;

/** Where the page after `job` starts. */
export function scheduleAfter(job: { name: string; uniqueKey?: string }): ScheduleAfter {
  return job.uniqueKey === undefined ? { name: job.name } : { name: job.name, uniqueKey: job.uniqueKey };
}

/** The cursor of the page after `after`: base64url of its JSON. */
export function encodeScheduleCursor(after: ScheduleAfter): string {
  return Buffer.from(JSON.stringify(after)).toString('base64url');
}

/** `limit` (1 to 1000, default 1000) and `after` (a `nextCursor` given back) of `GET schedules`. */
export function schedulesPageOf(search: URLSearchParams): { limit: number; after?: ScheduleAfter } {
  let limit = MAX_SCHEDULES_PAGE;
  let after: ScheduleAfter | undefined;
  for (const [key, value] of search) {
    if (key === 'limit') {
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_SCHEDULES_PAGE) {
        throw new BadRequest(`limit: ${JSON.stringify(value)} is not a whole number from 1 to ${MAX_SCHEDULES_PAGE}`);
      }
      limit = Number(value);
    } else if (key === 'after') {
      after = decodeScheduleCursor(value);
    } else throw new BadRequest(`unknown parameter ${JSON.stringify(key)} (known: limit, after)`);
  }
  return after ? { limit, after } : { limit };
}

function decodeScheduleCursor(text: string): ScheduleAfter {
  let decoded: unknown;
  try {
    decoded = /^[A-Za-z0-9_-]{1,2000}$/.test(text) ? JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) : null;
  } catch {
    decoded = null;
  }
  const { name, uniqueKey, ...rest } = (decoded ?? {}) as Record<string, unknown>;
  const valid =
    typeof decoded === 'object' &&
    decoded !== null &&
    !Array.isArray(decoded) &&
    typeof name === 'string' &&
    (uniqueKey === undefined || typeof uniqueKey === 'string') &&
    Object.keys(rest).length === 0;
  if (!valid) throw new BadRequest(`after: ${JSON.stringify(text.slice(0, 100))} is not a nextCursor of GET schedules`);
  return uniqueKey === undefined ? { name: name as string } : { name: name as string, uniqueKey: uniqueKey as string };
}
