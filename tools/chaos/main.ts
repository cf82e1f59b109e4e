/**
 * `npm run chaos`: a seeded, randomized fault run of several Monque instances against one database,
 * with producers and an operator acting during the faults, followed by a check of the invariants a
 * job queue owes its users.
 *
 * What it does
 * - Starts the test backend (MONGODB_URI, or the embedded one, as the tests do), one fault proxy
 *   per process (tools/test-backend/src/faults), K instances (tools/chaos/instance.ts), two
 *   producers (producer.ts) and an operator (operator.ts), each in its own process reaching the
 *   database through its own proxy only.
 * - The producers enqueue one-off jobs in waves (fast, slow (some ignoring their signal), failing n
 *   times, always failing; ~2.5 per second of run, at most 270), retrying each on error with a new
 *   call until one resolves, as an application would; every instance declares the same two schedules.
 *   They also enqueue small workflows (chains and trees with `dependsOn`, some with a dependency
 *   failing for good, some with `onDependencyFailure: 'run'`): every other one as one `flow()`
 *   call, the others job by job, each once those it depends on were enqueued. And bursts of jobs of
 *   three flow-controlled names (plan.ts `planLimited`): one with `globalConcurrency`, one with
 *   groups (tenants, one with a backlog) and `groupConcurrency`, one with a `rateLimit` whose
 *   handlers sometimes throw a `RateLimitError`.
 * - The operator cancels running and pending jobs, retries failed ones, pauses and resumes a name,
 *   reschedules pending jobs and deletes finished ones, retrying each call on error.
 * - Meanwhile faults hit at random: partitions of one instance (reset or blackhole, 0.5-4 s), a lost
 *   reply or a dropped request of a claim, a dropped lock renewal, a dropped read-back of a claim,
 *   SIGKILL and restart of an instance, a graceful restart (its `stop()` deadline cuts slow jobs
 *   off); partitions, lost replies and dropped writes of a producer or the operator. Some instance
 *   incarnations run with a clock 10 s ahead or behind.
 * - Every handler records its start and end in a ledger, written around the proxy; the producers
 *   and the operator report every call (what it returned or threw) and the producers when their
 *   driver first sent each job.
 * - Then quiet: heal, let the producers and the operator finish, restart the dead, wait (at most
 *   60 s) for every job to settle, stop all.
 * - Checks and prints the invariants (see invariants.ts), each with counts, examples and every
 *   case it excused.
 *
 * Flags: --seed N (default random), --duration S (default 90), --instances K (default 3),
 *        --core PATH (the core's index.ts; default packages/core/src/index.ts).
 * The same seed replays the same plan: jobs, fault times and targets, clock skews (what a fault
 * then hits depends on timing).
 *
 * Reading the output: the first line gives the seed. Then the plan, a timeline (`+ 12.3s i1
 * partition (blackhole) for 2.1 s`, `i2 lose-claim-reply: hit findAndModify monque_jobs`…), a
 * summary (jobs by kind and status, runs, faults armed/hit, events the instances reported), one
 * `[PASS]`/`[FAIL]` line per invariant with its first offending jobs, and last
 * `chaos: PASS seed=N` or `chaos: FAIL seed=N (<failed invariants>)`. Exit code 0 on PASS, 1 on
 * FAIL, 2 on bad flags, 130 when interrupted. No process is left behind, even on Ctrl-C.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from './flags.js';
import { killAllInstances } from './instances.js';
import { checkInvariants } from './invariants.js';
import { countActions, countFaults, makePlan } from './plan.js';
import { seededRandom } from './prng.js';
import { summaryLines, verdictLines } from './report.js';
import { ChaosRun } from './run.js';

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<number> {
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const { seed } = flags;
  print(`chaos: seed=${seed} duration=${flags.durationS}s instances=${flags.instances}`);
  // Workflows draw from their own sequence: the rest of a seed's plan is what it was without them.
  const workflowRandom = seededRandom((seed + 0x9e37_79b9) >>> 0);
  // So do the bursts of the flow-controlled names.
  const limitedRandom = seededRandom((seed + 0x5bd1_e995) >>> 0);
  const plan = makePlan(seededRandom(seed), flags.durationS * 1_000, flags.instances, workflowRandom, limitedRandom);
  const faults = Object.entries(countFaults(plan)).map(([type, n]) => `${type} ${n}`);
  const waves = plan.events.filter((event) => event.type === 'wave').length;
  const limitedWaves = plan.events.filter(
    (event) => event.type === 'wave' && event.jobs.some((job) => job.kind === 'rated'),
  ).length;
  const workflows = plan.events.flatMap((event) => (event.type === 'workflow' ? [event.nodes.length] : []));
  const flows = plan.events.filter((event) => event.type === 'workflow' && event.flow).length;
  const actions = Object.entries(countActions(plan)).map(([kind, n]) => `${kind} ${n}`);
  print(
    `plan: ${plan.totalJobs} jobs in ${waves - limitedWaves} waves, ${plan.limitedJobs} flow-controlled jobs in ${limitedWaves} bursts, ${workflows.length} workflows of ${workflows.reduce((a, b) => a + b, 0)} jobs (${flows} of them one flow() each); faults: ${faults.join(', ')}; operator: ${actions.join(', ')}`,
  );
  print(`core: ${flags.corePath}`);

  const run = new ChaosRun(flags, plan, print);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    killAllInstances();
    print(`chaos: FAIL seed=${seed} (interrupted by ${signal})`);
    const forced = setTimeout(() => process.exit(130), 5_000);
    void run.cleanup(false).finally(() => {
      clearTimeout(forced);
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllInstances);

  let exitCode = 1;
  const started = Date.now();
  try {
    await run.setup();
    await run.runTimeline();
    await run.quiesce();
    const record = await run.collect();
    const results = checkInvariants(record);
    for (const line of summaryLines(record, run.stats)) print(line);
    for (const line of verdictLines(results)) print(line);
    const failed = results.filter((check) => !check.pass).map((check) => check.title.split('.')[0]);
    print(`took ${((Date.now() - started) / 1_000).toFixed(1)} s`);
    if (failed.length === 0) {
      print(`chaos: PASS seed=${seed}`);
      exitCode = 0;
    } else {
      // The embedded server's data goes with its process: the record is what is left to study.
      const saved = join(tmpdir(), `chaos-record-${seed}-${run.dbName}.json`);
      await writeFile(saved, JSON.stringify(record, null, 1));
      print(`run record (jobs, ledger, calls, claims, renewals, recoveries) written to ${saved}`);
      print(`chaos: FAIL seed=${seed} (invariants ${failed.join(', ')} failed; data kept in ${run.dbName})`);
    }
  } catch (error) {
    if (interrupted) return 130;
    print(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    print(`chaos: FAIL seed=${seed} (error: ${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  } finally {
    if (!interrupted) await run.cleanup(exitCode === 0);
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos: ${String(error)}\n`);
    killAllInstances();
    process.exit(1);
  },
);
