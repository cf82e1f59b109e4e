/**
 * The seeded plan of a chaos run: which jobs are enqueued when, which faults hit which instance
 * when, and each instance incarnation's clock skew. Drawn entirely from the seed before the run
 * starts, so a seed reproduces it (what the faults then hit depends on timing).
 */
import type { ClientId, OperatorAction } from './messages.js';
import type { Random } from './prng.js';
import { type ChaosJobData, ENGINE, type JobKind, PRODUCERS, WORKERS } from './settings.js';

/** A fault, a wave or an operator action, at `at` ms after the start. */
export type PlannedEvent =
  /** A producer enqueues these jobs (each retried on error until a call resolves). */
  | { readonly at: number; readonly type: 'wave'; readonly producer: number; readonly jobs: readonly ChaosJobData[] }
  /** A producer enqueues a small workflow, each job once the jobs it depends on were enqueued. */
  | {
      readonly at: number;
      readonly type: 'workflow';
      readonly producer: number;
      readonly nodes: readonly WorkflowNode[];
      /** Enqueued as one tree by one `flow()` call (each job's parent is the one that depends on it). */
      readonly flow: boolean;
    }
  | {
      readonly at: number;
      readonly type: 'partition';
      readonly instance: number;
      readonly mode: 'reset' | 'blackhole';
      readonly ms: number;
    }
  | {
      readonly at: number;
      readonly type: 'lose-claim-reply' | 'drop-claim' | 'drop-renewal' | 'drop-claim-read';
      readonly instance: number;
    }
  /** SIGKILL, then a new process after `downMs`. */
  | { readonly at: number; readonly type: 'kill'; readonly instance: number; readonly downMs: number }
  /**
   * A graceful `stop()` (its 2 s deadline may cut runs off), then a new process `downMs` after it
   * exited; with `outageMs`, the instance is cut off (`outageMode`) from just before `stop()` for
   * that long, so the deadline finds outcome writes failing or in flight.
   */
  | {
      readonly at: number;
      readonly type: 'restart';
      readonly instance: number;
      readonly downMs: number;
      readonly outageMs?: number;
      readonly outageMode?: 'reset' | 'blackhole';
    }
  /**
   * An instance running a job that ignores its signal restarts, and the operator cancels that job
   * just before the `stop()` deadline: the deadline finds a run whose cancellation was requested.
   */
  | { readonly at: number; readonly type: 'cancel-during-stop'; readonly downMs: number }
  /**
   * A job left `processing` by another tool (or an earlier version): locked an hour ago by an owner
   * that is no instance, without a claim token. It must be recovered like any stale job.
   */
  | { readonly at: number; readonly type: 'plant-orphan' }
  | {
      readonly at: number;
      readonly type: 'client-partition';
      readonly client: ClientId;
      readonly mode: 'reset' | 'blackhole';
      readonly ms: number;
    }
  /** A producer's or the operator's next write is applied but its reply lost, or never applied. */
  | { readonly at: number; readonly type: 'lose-client-reply' | 'drop-client-request'; readonly client: ClientId }
  | { readonly at: number; readonly type: 'operate'; readonly action: OperatorAction };

/**
 * One job of a planned workflow: what it does, and the jobs of the same workflow it depends on
 * (`dependsOn`, by their index in the workflow; always earlier ones).
 */
export interface WorkflowNode {
  readonly data: ChaosJobData;
  readonly after: readonly number[];
  /** `onDependencyFailure: 'run'`: it runs even when a dependency failed or was cancelled. */
  readonly runAnyway?: boolean;
}

/** Every planned fault, by kind, for the summary. */
export type FaultType =
  | Exclude<PlannedEvent['type'], 'wave' | 'workflow' | 'operate' | 'partition' | 'client-partition' | 'plant-orphan'>
  | 'partition-reset'
  | 'partition-blackhole'
  | 'long-partition-reset'
  | 'long-partition-blackhole'
  | 'client-partition-reset'
  | 'client-partition-blackhole';

/** A whole plan. */
export interface ChaosPlan {
  readonly events: readonly PlannedEvent[];
  /** `skews[i][n]`: clock skew (ms) of instance `i`'s `n`-th incarnation (0 is the first start). */
  readonly skews: readonly (readonly number[])[];
  /** One-off jobs of the unlimited names. */
  readonly totalJobs: number;
  /** Jobs of the flow-controlled names (in waves of their own). */
  readonly limitedJobs: number;
}

const KIND_WEIGHTS: Record<Exclude<JobKind, 'limited' | 'grouped' | 'rated'>, number> = {
  fast: 45,
  slow: 15,
  failing: 25,
  'always-failing': 15,
};
const FAULT_WEIGHTS = {
  'partition-reset': 2,
  'partition-blackhole': 2,
  'lose-claim-reply': 2,
  'drop-claim': 2,
  'drop-renewal': 2,
  'drop-claim-read': 1,
  kill: 1,
  restart: 1,
  'cancel-during-stop': 1,
} as const;
const CLIENT_FAULT_WEIGHTS = {
  'client-partition-reset': 2,
  'client-partition-blackhole': 3,
  'lose-client-reply': 3,
  'drop-client-request': 2,
} as const;
const ACTION_WEIGHTS = {
  'cancel-running': 3,
  'cancel-pending': 2,
  'retry-failed': 2,
  pause: 1,
  reschedule: 2,
  'delete-finished': 2,
} as const;
/** The names an operator pauses (never the recurring one). */
const PAUSABLE = [WORKERS.fast.name, WORKERS.failing.name, WORKERS.slow.name];
/** Most incarnations run on the real clock; some are 10 s ahead or behind. */
const SKEW_WEIGHTS = { none: 6, ahead: 2, behind: 2 } as const;

function job(random: Random): ChaosJobData {
  const kind = random.weighted(KIND_WEIGHTS);
  if (kind === 'fast') return { kind, ms: random.int(5, 40) };
  if (kind === 'slow')
    return random.chance(0.5)
      ? { kind, ms: random.int(1_500, 5_000), stubborn: true }
      : { kind, ms: random.int(1_500, 5_000) };
  if (kind === 'failing') return { kind, ms: random.int(5, 200), failTimes: random.int(1, 2) };
  return { kind, ms: random.int(5, 100) };
}

/** At most this many workflows (a long run must not swell the collection). */
const MAX_WORKFLOWS = 24;
/** The shapes of the planned workflows (see {@link planWorkflows}). */
const WORKFLOW_WEIGHTS = { chain: 3, tree: 3, 'failing-tree': 2, 'run-anyway': 2 } as const;
const fast = (random: Random): ChaosJobData => ({ kind: 'fast', ms: random.int(5, 40) });

/** The jobs of one workflow of `shape`, each with the earlier ones it depends on. */
function workflow(random: Random, shape: keyof typeof WORKFLOW_WEIGHTS, wf: string): WorkflowNode[] {
  const failing = (): ChaosJobData => ({ kind: 'failing', ms: random.int(5, 150), failTimes: random.int(1, 2) });
  const dead = (): ChaosJobData => ({ kind: 'always-failing', ms: random.int(5, 100) });
  const nodes: WorkflowNode[] =
    shape === 'chain'
      ? // a -> b -> c: each waits for the one before (the middle one fails before it succeeds)
        [
          { data: fast(random), after: [] },
          { data: failing(), after: [0] },
          { data: fast(random), after: [1] },
        ]
      : shape === 'tree'
        ? // two leaves, a parent waiting for both, and a root waiting for the parent
          [
            { data: fast(random), after: [] },
            { data: failing(), after: [] },
            { data: fast(random), after: [0, 1] },
            { data: fast(random), after: [2] },
          ]
        : shape === 'failing-tree'
          ? // a leaf that fails for good: its parent is cancelled, and the root waiting for the parent too
            [
              { data: fast(random), after: [] },
              { data: dead(), after: [] },
              { data: fast(random), after: [0, 1] },
              { data: fast(random), after: [2] },
            ]
          : // a leaf that fails for good, and a parent that runs anyway once both leaves settled
            [
              { data: dead(), after: [] },
              { data: fast(random), after: [] },
              { data: fast(random), after: [0, 1], runAnyway: true },
            ];
  return nodes.map((node) => ({ ...node, data: { ...node.data, wf } }));
}

/**
 * Small workflows (chains and trees of 3-4 jobs, some with a dependency failing for good, one kind
 * with `onDependencyFailure: 'run'`), at most {@link MAX_WORKFLOWS}, one every 5-10 s over the first 85 % of the run, by the
 * producers in turn; every other one as one `flow()` call (each shape is a tree: every job but the
 * last is the dependency of exactly one other), the rest job by job with `dependsOn`. Drawn from their own random sequence, so the rest of a seed's plan stays what
 * it was before workflows joined the run.
 */
function planWorkflows(random: Random, durationMs: number): PlannedEvent[] {
  const events: PlannedEvent[] = [];
  let n = 0;
  for (
    let at = 2_000 + random.int(0, 2_000);
    at < durationMs * 0.85 && n < MAX_WORKFLOWS;
    at += random.int(5_000, 10_000)
  ) {
    n += 1;
    const nodes = workflow(random, random.weighted(WORKFLOW_WEIGHTS), `wf${n}`);
    // Every other workflow is one flow() call (decided without a draw: the sequence stays as it was).
    events.push({ at, type: 'workflow', producer: n % PRODUCERS, nodes, flow: n % 2 === 0 });
  }
  return events;
}

/** The tenants of the `grouped` jobs: the first one gets a backlog. */
export const TENANTS = ['t0', 't1', 't2', 't3'] as const;

/**
 * Bursts of jobs of the flow-controlled names (see `FLOW_LIMITS`), one every 12-16 s from the 3rd
 * second over the first 85 % of the run, by the producers in turn, each more than the limits let
 * start at once: 4 `limited` jobs (0.3-1.2 s each, `globalConcurrency` 2; some throw a
 * `RateLimitError` of 1-2 s on their first attempt: a hold through the pause state); 4 `grouped` jobs (2 of
 * tenant t0, which also gets a backlog of 8 in the first burst, and 2 of the others; 0.15-0.6 s
 * each, `groupConcurrency` 1); 8 `rated` jobs (4 per second: two windows' worth), a quarter of them throwing a
 * `RateLimitError` of 1-2.5 s on their first attempt. Drawn from their own random sequence, so the
 * rest of a seed's plan stays what it was before.
 */
function planLimited(random: Random, durationMs: number): PlannedEvent[] {
  const events: PlannedEvent[] = [];
  let n = 0;
  for (let at = 3_000 + random.int(0, 1_000); at < durationMs * 0.85; at += random.int(12_000, 16_000)) {
    const jobs: ChaosJobData[] = [];
    for (let i = 0; i < 4; i += 1)
      jobs.push(
        random.chance(0.15)
          ? { kind: 'limited', ms: random.int(300, 1_200), rateLimitMs: random.int(1_000, 2_000) }
          : { kind: 'limited', ms: random.int(300, 1_200) },
      );
    const others = Array.from({ length: 2 }, () => TENANTS[random.int(1, TENANTS.length - 1)] as string);
    for (const group of [...Array.from({ length: n === 0 ? 10 : 2 }, () => TENANTS[0]), ...others])
      jobs.push({ kind: 'grouped', ms: random.int(150, 600), group });
    for (let i = 0; i < 8; i += 1)
      jobs.push(
        random.chance(0.25)
          ? { kind: 'rated', ms: random.int(5, 60), rateLimitMs: random.int(1_000, 2_500) }
          : { kind: 'rated', ms: random.int(5, 60) },
      );
    events.push({ at, type: 'wave', producer: n % PRODUCERS, jobs });
    n += 1;
  }
  return events;
}

/**
 * Plans a run of `durationMs` with `instances` instances. Jobs: about 2.5 per second of run, at most
 * 270 (the embedded backend slows down above ~500 documents per collection), enqueued in small
 * waves every ~2.5 s over the first 85 % of the run by the producers in turn, so faults meet
 * claims and running jobs. Instance faults: one every 1.5-4 s from the 3rd second to 3 s before
 * the end, its partitions 0.5-1.8 s (the locks survive them); and a long partition (5-8 s, longer
 * than `lockTimeout`: a genuine lock expiry) 10-20 s in, then every 30-45 s. Producer and operator
 * faults: one every 2-5 s; operator actions: one every 1.5-3.5 s from the 2nd second to 5 s before
 * the end (a pause lasts 1-3 s).
 */
export function makePlan(
  random: Random,
  durationMs: number,
  instances: number,
  workflowRandom: Random = random,
  limitedRandom: Random = random,
): ChaosPlan {
  const events: PlannedEvent[] = [];
  const totalJobs = Math.max(30, Math.min(270, Math.round((durationMs / 1_000) * 2.5)));
  const waves = Math.max(3, Math.round(durationMs / 2_500));
  for (let wave = 0; wave < waves; wave += 1) {
    const count = Math.floor(totalJobs / waves) + (wave < totalJobs % waves ? 1 : 0);
    const at = Math.round(1_000 + ((durationMs * 0.85 - 1_000) * wave) / waves);
    events.push({
      at,
      type: 'wave',
      producer: wave % PRODUCERS,
      jobs: Array.from({ length: count }, () => job(random)),
    });
  }
  for (let at = 3_000 + random.int(0, 1_000); at < durationMs - 3_000; at += random.int(1_500, 4_000)) {
    const instance = random.int(0, instances - 1);
    const type = random.weighted(FAULT_WEIGHTS);
    if (type === 'partition-reset' || type === 'partition-blackhole') {
      const mode = type === 'partition-reset' ? 'reset' : 'blackhole';
      events.push({ at, type: 'partition', instance, mode, ms: random.int(500, 1_800) });
    } else if (type === 'kill') {
      events.push({ at, type, instance, downMs: random.int(1_000, 5_000) });
    } else if (type === 'restart') {
      const outage = random.chance(0.5)
        ? {
            outageMs: random.int(2_000, 4_000),
            outageMode: random.chance(0.5) ? ('reset' as const) : ('blackhole' as const),
          }
        : {};
      events.push({ at, type, instance, downMs: random.int(1_000, 5_000), ...outage });
    } else if (type === 'cancel-during-stop') {
      events.push({ at, type, downMs: random.int(1_000, 3_000) });
    } else {
      events.push({ at, type, instance });
    }
  }
  for (let at = 10_000 + random.int(0, 10_000); at < durationMs - 3_000; at += random.int(30_000, 45_000)) {
    const mode = random.chance(0.5) ? 'reset' : 'blackhole';
    events.push({ at, type: 'partition', instance: random.int(0, instances - 1), mode, ms: random.int(5_000, 8_000) });
  }
  events.push({ at: Math.round(durationMs * 0.35), type: 'plant-orphan' });
  const clients: ClientId[] = [...Array.from({ length: PRODUCERS }, (_, i): ClientId => `p${i}`), 'op'];
  for (let at = 2_000 + random.int(0, 1_000); at < durationMs - 3_000; at += random.int(2_000, 5_000)) {
    const client = clients[random.int(0, clients.length - 1)] as ClientId;
    const type = random.weighted(CLIENT_FAULT_WEIGHTS);
    if (type === 'client-partition-reset' || type === 'client-partition-blackhole') {
      const mode = type === 'client-partition-reset' ? 'reset' : 'blackhole';
      events.push({ at, type: 'client-partition', client, mode, ms: random.int(500, 4_000) });
    } else {
      events.push({ at, type, client });
    }
  }
  let actions = 0;
  for (let at = 2_000 + random.int(0, 1_000); at < durationMs - 5_000; at += random.int(1_500, 3_500)) {
    const kind = random.weighted(ACTION_WEIGHTS);
    actions += 1;
    const id = `a${actions}`;
    const action: OperatorAction =
      kind === 'pause'
        ? { id, kind, name: PAUSABLE[random.int(0, PAUSABLE.length - 1)] as string, ms: random.int(1_000, 3_000) }
        : { id, kind, pick: random.next() };
    events.push({ at, type: 'operate', action });
  }
  events.push(...planWorkflows(workflowRandom, durationMs));
  const limited = planLimited(limitedRandom, durationMs);
  events.push(...limited);
  const skews = Array.from({ length: instances }, () =>
    Array.from({ length: 32 }, () => {
      const skew = random.weighted(SKEW_WEIGHTS);
      return skew === 'none' ? 0 : skew === 'ahead' ? 10_000 : -10_000;
    }),
  );
  events.sort((a, b) => a.at - b.at);
  const limitedJobs = limited.reduce((sum, event) => sum + (event.type === 'wave' ? event.jobs.length : 0), 0);
  return { events, skews, totalJobs, limitedJobs };
}

/** How many faults of each type a plan holds. */
export function countFaults(plan: ChaosPlan): Partial<Record<FaultType, number>> {
  const counts: Partial<Record<FaultType, number>> = {};
  for (const event of plan.events) {
    if (event.type === 'wave' || event.type === 'workflow' || event.type === 'operate' || event.type === 'plant-orphan')
      continue;
    const type: FaultType =
      event.type === 'partition'
        ? `${event.ms > ENGINE.lockTimeout ? 'long-' : ''}partition-${event.mode}`
        : event.type === 'client-partition'
          ? `client-partition-${event.mode}`
          : event.type;
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

/** How many operator actions of each kind a plan holds. */
export function countActions(plan: ChaosPlan): Partial<Record<OperatorAction['kind'], number>> {
  const counts: Partial<Record<OperatorAction['kind'], number>> = {};
  for (const event of plan.events) {
    if (event.type === 'operate') counts[event.action.kind] = (counts[event.action.kind] ?? 0) + 1;
  }
  return counts;
}
