/**
 * The operator of a chaos run, in its own process (started by `main.ts`, never by hand): it acts
 * on the queue while the faults go on, through its own fault proxy, with the public operations
 * API, retrying each write on error until it settles (see `ClientKit.untilSettled`). Every call is
 * recorded with what it returned or threw, as evidence for the checker:
 * - `cancel-running`, `cancel-pending`: `cancelJob` of a job found `processing` / `pending`;
 *   `cancel-job`: of the job the orchestrator names;
 * - `retry-failed`: `retryJobs` of one or two failed always-failing jobs (a query by `data.ref`);
 * - `pause`: `pause(name)`, then `resume(name)` after `ms`;
 * - `reschedule`: `rescheduleJob` of a pending job, due 1-3 s later;
 * - `delete-finished`: `deleteJobs` of up to three finished jobs (by `data.ref`; the job as read
 *   just before is recorded), then `getJob` to confirm it is gone. Always-failing jobs are left to
 *   `retry-failed`, so no two actions race on one job.
 * Jobs of workflows are cancelled (`cancel-pending` also picks `waiting` ones: their dependents
 * follow) and rescheduled like any, but never retried or deleted: the checker judges a dependent by
 * how its dependencies ended.
 * The flow-controlled names (`LIMITED_KINDS`) are left alone: a run that ignores its signal after a
 * cancellation frees its slot early (a documented limitation), which invariant 17 must not meet.
 */
import { ObjectId } from 'mongodb';
import { type ClientKit, sleep, startClient } from './client-kit.js';
import type { CoreJob, CoreQuery } from './core.js';
import type { ClientOrder, JobSnapshot, OperatorAction } from './messages.js';
import { type ChaosJobData, ONE_OFF_KINDS, WORKERS } from './settings.js';

const ONE_OFF_NAMES = ONE_OFF_KINDS.map((kind) => WORKERS[kind].name);
const DELETABLE_NAMES = [WORKERS.fast.name, WORKERS.slow.name, WORKERS.failing.name];
const FINISHED = ['completed', 'failed', 'cancelled'];
const statusOf = (job: CoreJob | null): string | null => job?.status ?? null;
const refOf = (job: CoreJob): string => String((job.data as ChaosJobData).ref);
const alone = (jobs: readonly CoreJob[]): CoreJob[] =>
  jobs.filter((job) => (job.data as ChaosJobData).wf === undefined);

/** `count` consecutive items from the position `pick` (in [0, 1)) points at. */
function choose<T>(items: readonly T[], pick: number, count = 1): T[] {
  const first = Math.floor(pick * items.length);
  return Array.from({ length: Math.min(count, items.length) }, (_, i) => items[(first + i) % items.length] as T);
}

async function list(kit: ClientKit, action: OperatorAction, query: CoreQuery): Promise<CoreJob[]> {
  const found = await kit.untilSettled(
    'getJobs',
    { action: action.id },
    () => kit.monque.getJobs(query, { limit: 200 }),
    (page) => page.jobs.length,
  );
  return found.ok ? found.value.jobs : [];
}

function snapshotOf(job: CoreJob): JobSnapshot {
  return {
    _id: String(job._id),
    name: job.name,
    data: job.data as ChaosJobData,
    status: String(job.status),
    ...(job.failCount === undefined ? {} : { failCount: job.failCount }),
    ...(job.result === undefined ? {} : { result: job.result }),
  };
}

async function cancel(
  kit: ClientKit,
  action: OperatorAction & { pick: number },
  status: string | string[],
): Promise<void> {
  for (const job of choose(await list(kit, action, { status, name: ONE_OFF_NAMES }), action.pick)) {
    await kit.untilSettled(
      'cancelJob',
      { action: action.id, jobId: String(job._id) },
      () => kit.monque.cancelJob(job._id, { reason: `chaos operator ${action.id}` }),
      statusOf,
    );
  }
}

async function act(kit: ClientKit, action: OperatorAction): Promise<void> {
  const { monque } = kit;
  if (action.kind === 'pause') {
    await kit.untilSettled(
      'pause',
      { action: action.id, name: action.name },
      () => monque.pause(action.name),
      () => null,
    );
    await sleep(action.ms);
    await kit.untilSettled(
      'resume',
      { action: action.id, name: action.name },
      () => monque.resume(action.name),
      () => null,
    );
  } else if (action.kind === 'cancel-job') {
    const jobId = action.jobId;
    await kit.untilSettled(
      'cancelJob',
      { action: action.id, jobId },
      () => monque.cancelJob(new ObjectId(jobId), { reason: `chaos operator ${action.id}` }),
      statusOf,
    );
  } else if (action.kind === 'cancel-running') {
    await cancel(kit, action, 'processing');
  } else if (action.kind === 'cancel-pending') {
    await cancel(kit, action, ['pending', 'waiting']);
  } else if (action.kind === 'retry-failed') {
    const name = WORKERS['always-failing'].name;
    for (const job of choose(alone(await list(kit, action, { status: 'failed', name })), action.pick, 2)) {
      const ref = refOf(job);
      await kit.untilSettled(
        'retryJobs',
        { action: action.id, jobId: String(job._id), ref },
        () => monque.retryJobs({ name, status: 'failed', data: { ref } }),
        (result) => result.count,
      );
    }
  } else if (action.kind === 'reschedule') {
    for (const job of choose(await list(kit, action, { status: 'pending', name: ONE_OFF_NAMES }), action.pick)) {
      const runAt = new Date(Date.now() + 1_000 + Math.round(action.pick * 2_000));
      await kit.untilSettled(
        'rescheduleJob',
        { action: action.id, jobId: String(job._id) },
        () => monque.rescheduleJob(job._id, runAt),
        statusOf,
      );
    }
  } else {
    const finished = alone(await list(kit, action, { status: FINISHED, name: DELETABLE_NAMES }));
    for (const job of choose(finished, action.pick, 3)) {
      const ref = refOf(job);
      const jobId = String(job._id);
      await kit.untilSettled(
        'deleteJobs',
        { action: action.id, jobId, ref, snapshot: snapshotOf(job) },
        () => monque.deleteJobs({ name: job.name, status: FINISHED, data: { ref } }),
        (result) => result.count,
      );
      await kit.untilSettled('getJob', { action: action.id, jobId }, () => monque.getJob(job._id), statusOf);
    }
  }
}

await startClient('operator.ts', (kit: ClientKit, order: ClientOrder) => {
  if (order.type === 'act') kit.track(act(kit, order.action));
});
