/**
 * Command-line options of `npm run bench -- [options]`:
 *
 * - `--only <names>`: run only these scenarios (comma-separated or repeated), e.g. `--only steady`;
 * - `--quick`: a smoke run (1 repetition, shorter steady load and soak, fewer samples);
 * - `--runs <n>`: repetitions of the repeated scenarios (default `BENCH_RUNS` or 3; 1 when quick);
 * - `--steady-rate <jobs/s>`, `--steady-seconds <s>`: the steady load's offered rate and duration;
 * - `--library <Monque|Agenda>`: measure one library only (comparisons and ratios are then empty).
 *
 * The environment can say the same (handy from the repository root, where `npm run bench -- --x`
 * would hand `--x` to npm): `BENCH_ONLY=steady`, `BENCH_QUICK=1`, `BENCH_RUNS=5`. Options win.
 *
 * Bad input is rejected with a message naming the option and the accepted values.
 */
import { parseArgs } from 'node:util';

/** Every scenario, in the order a full run takes them. */
export const SCENARIOS = [
  'enqueue',
  'drain',
  'pickup',
  'idle',
  'multi-instance',
  'fairness',
  'steady',
  'memory',
  'dedupe',
  'workflows',
] as const;

/** One scenario's name. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** The options of one benchmark run. */
export interface BenchOptions {
  /** Scenarios to run, in {@link SCENARIOS} order. @defaultValue all of them */
  readonly scenarios: readonly ScenarioName[];
  /** Smoke run. @defaultValue false */
  readonly quick: boolean;
  /** Repetitions of the repeated scenarios. @defaultValue `BENCH_RUNS` or 3 (1 when quick) */
  readonly runs: number;
  /** Offered rate of the steady load (jobs/s). @defaultValue 50 (sustained by Monque on the embedded backend even with the 2-core machine busy) */
  readonly steadyRate: number;
  /** Duration of the steady load's offer window (s). @defaultValue 60 (10 when quick) */
  readonly steadySeconds: number;
  /** The libraries to measure. @defaultValue both */
  readonly libraries: readonly LibraryLabel[];
}

/** The libraries under test. */
export const LIBRARY_LABELS = ['Monque', 'Agenda'] as const;

/** One library's label. */
export type LibraryLabel = (typeof LIBRARY_LABELS)[number];

function librariesOf(asked: readonly string[] | undefined): LibraryLabel[] {
  if (!asked || asked.length === 0) return [...LIBRARY_LABELS];
  const names = asked.flatMap((entry) => entry.split(',')).map((name) => name.trim().toLowerCase());
  for (const name of names) {
    if (!LIBRARY_LABELS.some((label) => label.toLowerCase() === name)) {
      throw new BenchUsageError(`--library: unknown library '${name}' (Monque or Agenda)`);
    }
  }
  return LIBRARY_LABELS.filter((label) => names.includes(label.toLowerCase()));
}

/** Bad command-line input. */
export class BenchUsageError extends Error {
  constructor(message: string) {
    super(`${message}\n\n${USAGE}`);
    this.name = 'BenchUsageError';
  }
}

/** Printed with `--help` and after a usage error. */
export const USAGE = [
  'usage: npm run bench -- [--only <scenario>[,<scenario>...]] [--quick] [--runs <n>]',
  '                        [--steady-rate <jobs/s>] [--steady-seconds <s>] [--library <Monque|Agenda>]',
  `scenarios: ${SCENARIOS.join(', ')}`,
  'environment: MONGODB_URI (a real server instead of the embedded backend), BENCH_ONLY, BENCH_QUICK=1, BENCH_RUNS (default 3)',
].join('\n');

function positive(option: string, raw: string | undefined, fallback: number, integer: boolean): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new BenchUsageError(`${option}: expected a positive ${integer ? 'integer' : 'number'}, got '${raw}'`);
  }
  return value;
}

function quickFromEnv(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new BenchUsageError(`BENCH_QUICK: expected 1 or 0, got '${raw}'`);
}

function scenariosOf(only: readonly string[] | undefined): ScenarioName[] {
  if (!only || only.length === 0) return [...SCENARIOS];
  const asked = only.flatMap((entry) => entry.split(',')).map((name) => name.trim());
  for (const name of asked) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new BenchUsageError(`--only (or BENCH_ONLY): unknown scenario '${name}'`);
    }
  }
  return SCENARIOS.filter((name) => asked.includes(name));
}

/**
 * Reads the options from `argv` (without node and the script) and `env`.
 * @returns `undefined` when `--help` was asked for (the usage is printed)
 * @throws BenchUsageError on unknown or malformed options
 */
export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions | undefined {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new BenchUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return undefined;
  }
  const quick = values.quick ?? quickFromEnv(env.BENCH_QUICK);
  return {
    scenarios: scenariosOf(values.only ?? (env.BENCH_ONLY ? [env.BENCH_ONLY] : undefined)),
    quick,
    runs: positive('--runs', values.runs ?? env.BENCH_RUNS, quick ? 1 : 3, true),
    steadyRate: positive('--steady-rate', values['steady-rate'], 50, false),
    steadySeconds: positive('--steady-seconds', values['steady-seconds'], quick ? 10 : 60, false),
    libraries: librariesOf(values.library),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean' },
      runs: { type: 'string' },
      'steady-rate': { type: 'string' },
      'steady-seconds': { type: 'string' },
      library: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
