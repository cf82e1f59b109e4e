/**
 * Recognises the engine's commands on the wire, from what any job queue on MongoDB must send, not
 * from Monque's internals: a claim moves a job to `status: 'processing'`; a lock renewal sets
 * `lockedAt` to a date without changing `status`.
 */
import type { Document } from 'mongodb';
import { commandDocuments, type WireCommand } from '../test-backend/src/index.js';
import { JOBS_COLLECTION } from './settings.js';

function setOf(update: unknown): Document {
  if (!update || typeof update !== 'object' || Array.isArray(update)) return {};
  const set = (update as Document).$set;
  return set && typeof set === 'object' ? (set as Document) : {};
}

/** The `$set` of every update a write command on the jobs collection carries. */
function setsOf(command: WireCommand): Document[] {
  if (command.collection !== JOBS_COLLECTION) return [];
  if (command.name === 'findAndModify') return [setOf(command.body.update)];
  if (command.name === 'update') return commandDocuments(command, 'updates').map((update) => setOf(update.u));
  return [];
}

/** A claim: a `findAndModify` or `update` on the jobs collection that sets `status: 'processing'`. */
export function isClaim(command: WireCommand): boolean {
  return setsOf(command).some((set) => set.status === 'processing');
}

/** A lock renewal: an update of the jobs collection that sets `lockedAt` to a date and leaves `status` alone. */
export function isLockRenewal(command: WireCommand): boolean {
  return setsOf(command).some((set) => set.lockedAt instanceof Date && !('status' in set));
}

function idsIn(filter: unknown): string[] | null {
  const id = filter && typeof filter === 'object' ? (filter as Document)._id : undefined;
  if (id === undefined || id === null) return null;
  if (typeof id === 'object' && Array.isArray((id as Document).$in))
    return ((id as Document).$in as unknown[]).map(String);
  if (typeof id === 'object' && !('_bsontype' in id)) return null;
  return [String(id)];
}

/**
 * The ids of the jobs a claim or renewal names in its filter (`_id` or `_id: { $in }`), or `null`
 * when it does not name them (e.g. a claim of the oldest due job): it may then touch any job.
 */
export function jobIdsOf(command: WireCommand): string[] | null {
  if (command.name === 'findAndModify') return idsIn(command.body.query);
  const ids: string[] = [];
  for (const update of commandDocuments(command, 'updates')) {
    const named = idsIn(update.q);
    if (named === null) return null;
    ids.push(...named);
  }
  return ids;
}

/** A read of jobs by claim token (the claimer reading back a contended claim, or a claim whose reply was lost). */
export function isClaimRead(command: WireCommand): boolean {
  if (command.collection !== JOBS_COLLECTION || command.name !== 'find') return false;
  const filter = command.body.filter;
  return !!filter && typeof filter === 'object' && 'claimToken' in (filter as Document);
}

/** A write of a producer or the operator (to the jobs or the pause collection). */
export function isClientWrite(command: WireCommand): boolean {
  return ['insert', 'update', 'delete', 'findAndModify'].includes(command.name);
}
