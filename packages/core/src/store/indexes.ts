/**
 * The indexes of the jobs collection, each named for the queries it serves. Created once per
 * `Monque` instance, idempotently, by the first operation that needs the collection.
 */
import type { Collection, IndexDescription } from 'mongodb';
import type { JobDocument } from './job-document.js';

/** Name of the unique index that deduplicates active jobs by `name` + `activeKey`. */
export const UNIQUE_INDEX_NAME = 'monque_unique_active_key';

/** An index partial on its first field existing. */
function partial(key: Record<string, 1>, name: string): IndexDescription {
  const [first] = Object.keys(key) as [string];
  return { key, name, partialFilterExpression: { [first]: { $exists: true } } };
}

/**
 * The indexes:
 * - `monque_claim_priority` `{status, name, priority: -1, nextRunAt}`: claiming (equality on status
 *   and name, sort by priority then due time, range on due time), counts per name and status;
 * - `monque_unique_active_key` `{name, activeKey}` unique, partial on `activeKey` existing: deduplication;
 * - `monque_stale` `{status, lockedAt}`: the stale-lock scan;
 * - `monque_owner` `{owner, status}`: an instance's own jobs (lost claim replies, orphans at start);
 * - `monque_retention` `{expireAt}` with `expireAfterSeconds: 0`: TTL deletion of finished jobs, and
 *   the sweep that does the same where TTL does not run;
 * - `monque_list_name` `{name, status, _id: -1}` and `monque_list_status` `{status, _id: -1}`:
 *   `getJobs` by name (and status) or by status, newest first;
 * - workflows, each partial on its first field existing, so jobs without dependencies cost nothing:
 *   `monque_depends_on` `{dependsOn}` (multikey: a job's dependents), `monque_notify_dependents`
 *   `{notifyDependents, status}` (finished jobs whose dependents were not told yet),
 *   `monque_link_pending` `{linkPending}`, `monque_dead_letter_due` `{deadLetterDue}` and
 *   `monque_flow` `{flowId, status}` (a flow's jobs);
 * - `monque_schedules` `{name, uniqueKey, _id}`, partial on `repeatInterval` and `activeKey` existing
 *   (the recurring jobs still scheduled): `getSchedules`;
 * - one `monque_data_<path>` `{'data.<path>': 1, _id: -1}` per `dataIndexes` entry: `getJobs` by a
 *   payload field.
 */
export function indexDescriptions(dataIndexes: readonly string[] = []): IndexDescription[] {
  return [
    { key: { status: 1, name: 1, priority: -1, nextRunAt: 1 }, name: 'monque_claim_priority' },
    {
      key: { name: 1, activeKey: 1 },
      name: UNIQUE_INDEX_NAME,
      unique: true,
      partialFilterExpression: { activeKey: { $exists: true } },
    },
    { key: { status: 1, lockedAt: 1 }, name: 'monque_stale' },
    { key: { owner: 1, status: 1 }, name: 'monque_owner' },
    { key: { expireAt: 1 }, name: 'monque_retention', expireAfterSeconds: 0 },
    { key: { name: 1, status: 1, _id: -1 }, name: 'monque_list_name' },
    { key: { status: 1, _id: -1 }, name: 'monque_list_status' },
    partial({ dependsOn: 1 }, 'monque_depends_on'),
    partial({ notifyDependents: 1, status: 1 }, 'monque_notify_dependents'),
    partial({ linkPending: 1 }, 'monque_link_pending'),
    partial({ deadLetterDue: 1 }, 'monque_dead_letter_due'),
    partial({ flowId: 1, status: 1 }, 'monque_flow'),
    {
      key: { name: 1, uniqueKey: 1, _id: 1 },
      name: 'monque_schedules',
      partialFilterExpression: { repeatInterval: { $exists: true }, activeKey: { $exists: true } },
    },
    ...dataIndexes.map((path) => ({ key: { [`data.${path}`]: 1, _id: -1 }, name: `monque_data_${path}` })),
  ];
}

/** The indexes could not be created; `cause` is the driver's error. */
export class IndexCreationError extends Error {
  constructor(collectionName: string, cause: unknown) {
    super(
      `could not create the indexes of '${collectionName}': ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'IndexCreationError';
  }
}

/** Creates the indexes once; a failed attempt is retried by the next caller. */
export class IndexManager {
  private created: Promise<void> | undefined;

  constructor(
    private readonly collection: Collection<JobDocument>,
    private readonly dataIndexes: readonly string[],
  ) {}

  /** Resolves once every index exists. */
  ensure(): Promise<void> {
    this.created ??= this.collection
      .createIndexes(indexDescriptions(this.dataIndexes))
      .then(() => undefined)
      .catch((error: unknown) => {
        this.created = undefined;
        throw new IndexCreationError(this.collection.collectionName, error);
      });
    return this.created;
  }
}
