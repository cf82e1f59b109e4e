/**
 * The seeded plan of a chaos run: which jobs are enqueued when, which faults hit which instance
 * when, and each instance incarnation's clock skew. Drawn entirely from the seed before the run
 * starts, so a seed reproduces it (what the faults then hit depends on timing).
 */
import type { Random } from './prng.js';
import type { ChaosJobData, JobKind } from './settings.js';

/** A fault or a wave, at `at` ms after the start. */
export type PlannedEvent =
  | { readonly at: number; readonly type: 'wave'; readonly jobs: readonly ChaosJobData[] }
  | {
      readonly at: number;
      readonly type: 'partition';
      readonly instance: number;
      readonly mode: 'reset' | 'blackhole';
      readonly ms: number;
    }
  | {
      readonly at: number;
      readonly type: 'lose-claim-reply' | 'drop-claim' | 'drop-renewal';
      readonly instance: number;
    }
  | { readonly at: number; readonly type: 'kill'; readonly instance: number; readonly downMs: number };

/** Every planned event, by kind, for the summary. */
export type FaultType = Exclude<PlannedEvent['type'], 'wave'> | 'partition-reset' | 'partition-blackhole';

/** A whole plan. */
export interface ChaosPlan {
  readonly events: readonly PlannedEvent[];
  /** `skews[i][n]`: clock skew (ms) of instance `i`'s `n`-th incarnation (0 is the first start). */
  readonly skews: readonly (readonly number[])[];
  readonly totalJobs: number;
}

const KIND_WEIGHTS: Record<JobKind, number> = { fast: 45, slow: 15, failing: 25, 'always-failing': 15 };
const FAULT_WEIGHTS = {
  'partition-reset': 2,
  'partition-blackhole': 2,
  'lose-claim-reply': 2,
  'drop-claim': 2,
  'drop-renewal': 2,
  kill: 1,
} as const;
/** Most incarnations run on the real clock; some are 10 s ahead or behind. */
const SKEW_WEIGHTS = { none: 6, ahead: 2, behind: 2 } as const;

function job(random: Random): ChaosJobData {
  const kind = random.weighted(KIND_WEIGHTS);
  if (kind === 'fast') return { kind, ms: random.int(5, 40) };
  if (kind === 'slow') return { kind, ms: random.int(1_500, 5_000) };
  if (kind === 'failing') return { kind, ms: random.int(5, 200), failTimes: random.int(1, 2) };
  return { kind, ms: random.int(5, 100) };
}

/**
 * Plans a run of `durationMs` with `instances` instances. Jobs: about 3 per second of run, at most
 * 320 (the embedded backend slows down above ~500 documents per collection), enqueued in small
 * waves every ~2.5 s over the first 85 % of the run, so faults meet claims and running jobs.
 * Faults: one every 1.5-4 s from the 3rd second to 3 s before the end.
 */
export function makePlan(random: Random, durationMs: number, instances: number): ChaosPlan {
  const events: PlannedEvent[] = [];
  const totalJobs = Math.max(30, Math.min(320, Math.round((durationMs / 1_000) * 3)));
  const waves = Math.max(3, Math.round(durationMs / 2_500));
  for (let wave = 0; wave < waves; wave += 1) {
    const count = Math.floor(totalJobs / waves) + (wave < totalJobs % waves ? 1 : 0);
    const at = Math.round(1_000 + ((durationMs * 0.85 - 1_000) * wave) / waves);
    events.push({ at, type: 'wave', jobs: Array.from({ length: count }, () => job(random)) });
  }
  for (let at = 3_000 + random.int(0, 1_000); at < durationMs - 3_000; at += random.int(1_500, 4_000)) {
    const instance = random.int(0, instances - 1);
    const type = random.weighted(FAULT_WEIGHTS);
    if (type === 'partition-reset' || type === 'partition-blackhole') {
      const mode = type === 'partition-reset' ? 'reset' : 'blackhole';
      events.push({ at, type: 'partition', instance, mode, ms: random.int(500, 4_000) });
    } else if (type === 'kill') {
      events.push({ at, type, instance, downMs: random.int(1_000, 5_000) });
    } else {
      events.push({ at, type, instance });
    }
  }
  const skews = Array.from({ length: instances }, () =>
    Array.from({ length: 32 }, () => {
      const skew = random.weighted(SKEW_WEIGHTS);
      return skew === 'none' ? 0 : skew === 'ahead' ? 10_000 : -10_000;
    }),
  );
  events.sort((a, b) => a.at - b.at);
  return { events, skews, totalJobs };
}

/** How many faults of each type a plan holds. */
export function countFaults(plan: ChaosPlan): Partial<Record<FaultType, number>> {
  const counts: Partial<Record<FaultType, number>> = {};
  for (const event of plan.events) {
    if (event.type === 'wave') continue;
    const type: FaultType = event.type === 'partition' ? `partition-${event.mode}` : event.type;
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}
