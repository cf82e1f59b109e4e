/**
 * One chaos run from setup to the collected record: backend, proxies and instance processes; the
 * planned timeline of job waves and faults; then quiescence (heal, restart, let jobs settle, stop).
 */
import { type Db, MongoClient, type ObjectId } from 'mongodb';
import { type FaultHandle, resolveTestBackend, startFaultProxy, type TestBackend } from '../test-backend/src/index.js';
import { loadMonque, type MonqueInstance } from './core.js';
import { isClaim, isLockRenewal, jobIdsOf } from './engine-commands.js';
import type { ChaosFlags } from './flags.js';
import { type Incarnation, InstanceSlot } from './instances.js';
import type { JobRecord, LockRefresh, Recovery, RunRecord } from './invariants.js';
import type { ChaosPlan, PlannedEvent } from './plan.js';
import {
  ATTEMPTS_COLLECTION,
  type ChaosJobData,
  ENGINE,
  JOBS_COLLECTION,
  type LedgerRun,
  WORKERS,
} from './settings.js';

/** How long the quiet phase may wait for every job to settle. */
const SETTLE_TIMEOUT_MS = 60_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Counters for the summary. */
export interface RunStats {
  /** Per fault type: [armed or applied, hit]. */
  readonly faults: Map<string, [number, number]>;
  /** Per event reported by the instances (`job:error: <message>`…). */
  readonly events: Map<string, number>;
  settleMs: number;
}

/** A chaos run's resources and record. */
export class ChaosRun {
  readonly stats: RunStats = { faults: new Map(), events: new Map(), settleMs: 0 };
  private backend: TestBackend | undefined;
  private direct: MongoClient | undefined;
  private db: Db | undefined;
  private readonly slots: InstanceSlot[] = [];
  private readonly enqueued: ObjectId[] = [];
  private readonly recoveries: Recovery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private enqueueing: Promise<void> = Promise.resolve();
  private quiet = false;
  private t0 = Date.now();
  private timelineStarted = false;
  readonly dbName: string;

  constructor(
    private readonly flags: ChaosFlags,
    private readonly plan: ChaosPlan,
    private readonly print: (line: string) => void,
  ) {
    this.dbName = `chaos_${flags.seed}_${Date.now().toString(36)}`;
  }

  /** Prints a line stamped with the time since the timeline began. */
  log(line: string): void {
    const seconds = ((Date.now() - this.t0) / 1_000).toFixed(1).padStart(6);
    this.print(`${this.timelineStarted ? '+' : 'setup +'}${seconds}s ${line}`);
  }

  /** Starts the backend, one proxy per instance, and the instances; resolves when all are ready. */
  async setup(): Promise<void> {
    this.backend = await resolveTestBackend();
    this.direct = await new MongoClient(this.backend.uri).connect();
    this.db = this.direct.db(this.dbName);
    this.print(`backend: ${this.backend.description}; database ${this.dbName}`);
    const backendUri = this.backend.uri;
    for (let slot = 0; slot < this.flags.instances; slot += 1) {
      // The log keeps the claims and renewals that reach the server: the checker tells a genuine
      // lock expiry from them.
      const proxy = await startFaultProxy(backendUri, {
        logFilter: (command) => isClaim(command) || isLockRenewal(command),
        logLimit: 1_000_000,
      });
      this.slots.push(
        new InstanceSlot(slot, proxy, this.plan.skews[slot] ?? [0], {
          directUri: backendUri,
          dbName: this.dbName,
          corePath: this.flags.corePath,
          log: (line) => this.log(line),
          onEvent: (_incarnation, event, detail) =>
            this.count(this.stats.events, `${event}${detail ? `: ${detail}` : ''}`),
          onExit: (slotOf, incarnation) => this.onExit(slotOf, incarnation),
          onRecovered: (jobId, owner, lockedAt) => this.recoveries.push({ jobId, owner, lockedAt }),
        }),
      );
    }
    this.t0 = Date.now();
    await Promise.all(this.slots.map((slot) => this.startSlot(slot)));
  }

  /** Plays the planned events, then returns once the run's duration is over. */
  async runTimeline(): Promise<void> {
    this.t0 = Date.now();
    this.timelineStarted = true;
    for (const event of this.plan.events) {
      await sleep(Math.max(0, this.t0 + event.at - Date.now()));
      if (this.quiet) return;
      this.apply(event);
    }
    await sleep(Math.max(0, this.t0 + this.flags.durationS * 1_000 - Date.now()));
  }

  /** Heals everything, restarts dead instances, waits (bounded) for every job to settle, stops the instances. */
  async quiesce(): Promise<void> {
    this.quiet = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const slot of this.slots) {
      slot.proxy.clearFaults();
      slot.proxy.heal();
    }
    await this.enqueueing;
    await Promise.all(this.slots.filter((slot) => !slot.alive).map((slot) => this.startSlot(slot)));
    const jobs = this.jobs();
    const unsettled = (): Promise<number> =>
      jobs.countDocuments({
        $or: [{ status: 'processing' }, { status: 'pending', name: { $ne: WORKERS.recurring.name } }],
      });
    this.log(`quiet: faults healed and cleared; waiting for ${await unsettled()} unsettled jobs`);
    const started = Date.now();
    let left = await unsettled();
    while (left > 0 && Date.now() - started < SETTLE_TIMEOUT_MS) {
      await sleep(500);
      left = await unsettled();
    }
    this.stats.settleMs = Date.now() - started;
    this.log(
      left === 0
        ? 'every job settled; stopping the instances'
        : `${left} jobs still unsettled after ${SETTLE_TIMEOUT_MS / 1_000} s; stopping the instances`,
    );
    await Promise.all(this.slots.map((slot) => slot.stop(ENGINE.shutdownTimeout + 5_000)));
  }

  /** Reads back the jobs and the ledger of every process. */
  async collect(): Promise<RunRecord> {
    const db = this.database();
    const incarnations = this.slots.flatMap((slot) => slot.incarnations);
    const runs: LedgerRun[] = [];
    for (const incarnation of incarnations)
      runs.push(...(await db.collection<LedgerRun>(incarnation.ledger).find({}).toArray()));
    return {
      jobs: await this.jobs().find({}).toArray(),
      enqueued: this.enqueued,
      runs,
      incarnations,
      refreshes: this.slots.flatMap((slot) => this.refreshesOf(slot)),
      recoveries: this.recoveries,
    };
  }

  /** Releases everything; idempotent. Deletes the run's data when `dropData` (kept for inspection otherwise). */
  async cleanup(dropData: boolean): Promise<void> {
    this.quiet = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all(this.slots.map((slot) => slot.stop(2_000)));
    for (const slot of this.slots) await slot.proxy.close();
    if (dropData && this.db && this.backend?.kind !== 'embedded') {
      const db = this.db;
      await db.dropDatabase().catch(async () => {
        const names = [
          JOBS_COLLECTION,
          ATTEMPTS_COLLECTION,
          ...this.slots.flatMap((slot) => slot.incarnations.map((i) => i.ledger)),
        ];
        for (const name of names) await db.collection(name).deleteMany({});
      });
    }
    await this.direct?.close().catch(() => {});
    this.direct = undefined;
    await this.backend?.stop();
    this.backend = undefined;
  }

  private refreshesOf(slot: InstanceSlot): LockRefresh[] {
    return slot.proxy.commands().flatMap((command) =>
      command.forwardedAt === undefined
        ? []
        : [
            {
              slot: slot.slot,
              at: command.forwardedAt,
              kind: isClaim(command) ? ('claim' as const) : ('renewal' as const),
              jobIds: jobIdsOf(command),
            },
          ],
    );
  }

  private database(): Db {
    if (!this.db) throw new Error('chaos: setup() has not run');
    return this.db;
  }

  private jobs() {
    return this.database().collection<JobRecord>(JOBS_COLLECTION);
  }

  private count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  private countFault(type: string, field: 0 | 1): void {
    const counts = this.stats.faults.get(type) ?? [0, 0];
    counts[field] += 1;
    this.stats.faults.set(type, counts);
  }

  private async startSlot(slot: InstanceSlot): Promise<void> {
    try {
      const incarnation = await slot.start();
      const skew =
        incarnation.skewMs === 0 ? '' : ` (clock ${incarnation.skewMs > 0 ? '+' : ''}${incarnation.skewMs / 1_000} s)`;
      this.log(`${incarnation.instanceId} ready${skew}`);
    } catch (error) {
      this.log(`${slot.label} did not start: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private onExit(slot: InstanceSlot, incarnation: Incarnation): void {
    if (incarnation.exit !== 'crashed' || this.quiet) return;
    this.later(1_000, () => {
      if (!this.quiet && !slot.alive) void this.startSlot(slot);
    });
  }

  private later(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms);
    this.timers.add(timer);
  }

  private watch(type: string, slot: InstanceSlot, handle: FaultHandle): void {
    this.countFault(type, 0);
    void handle.firstHit.then((command) => {
      this.countFault(type, 1);
      this.log(`${slot.label} ${type}: hit ${command.name} ${command.collection}`);
    });
  }

  private apply(event: PlannedEvent): void {
    if (event.type === 'wave') {
      const jobs = event.jobs;
      this.log(`wave of ${jobs.length} jobs`);
      this.enqueueing = this.enqueueing.then(() => this.enqueueWave(jobs));
      return;
    }
    const slot = this.slots[event.instance] as InstanceSlot;
    if (event.type === 'partition') {
      slot.proxy.partition({ mode: event.mode, forMs: event.ms });
      this.countFault(`partition-${event.mode}`, 0);
      this.log(`${slot.label} partition (${event.mode}) for ${(event.ms / 1_000).toFixed(1)} s`);
    } else if (event.type === 'lose-claim-reply') {
      this.watch(event.type, slot, slot.proxy.loseReply(isClaim));
    } else if (event.type === 'drop-claim') {
      this.watch(event.type, slot, slot.proxy.dropRequest(isClaim));
    } else if (event.type === 'drop-renewal') {
      this.watch(event.type, slot, slot.proxy.dropRequest(isLockRenewal));
    } else if (event.type === 'kill') {
      const killed = slot.kill();
      this.countFault('kill', 0);
      this.log(
        killed
          ? `SIGKILL ${killed}; restart in ${(event.downMs / 1_000).toFixed(1)} s`
          : `${slot.label} is down: kill skipped`,
      );
      if (killed) this.later(event.downMs, () => void this.startSlot(slot));
    }
  }

  private async enqueueWave(jobs: readonly ChaosJobData[]): Promise<void> {
    const enqueuer = await this.enqueuer();
    for (const data of jobs) {
      const job = await enqueuer.enqueue(WORKERS[data.kind === 'recurring' ? 'recurring' : data.kind].name, data);
      this.enqueued.push(job._id);
    }
  }

  private enqueuerInstance: MonqueInstance | undefined;
  private async enqueuer(): Promise<MonqueInstance> {
    if (!this.enqueuerInstance) {
      const Monque = await loadMonque(this.flags.corePath);
      // Never started: it only enqueues, directly (no proxy), so the orchestrator knows every job.
      this.enqueuerInstance = new Monque(this.database());
    }
    return this.enqueuerInstance;
  }
}
