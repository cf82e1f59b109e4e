/**
 * One chaos run from setup to the collected record: backend, proxies and processes (instances,
 * producers, the operator); the planned timeline of waves, operator actions and faults (see
 * faults.ts); then quiescence (heal, let the producers and the operator finish, restart the dead,
 * let jobs settle, stop).
 */
import { type Db, MongoClient } from 'mongodb';
import { resolveTestBackend, startFaultProxy, type TestBackend } from '../test-backend/src/index.js';
import { ClientSlot } from './clients.js';
import { isClaim, isLockRenewal, jobIdsOf } from './engine-commands.js';
import type { JobRecord, LockRefresh, Partition, Recovery, RunRecord, ShutdownTimeout } from './evidence.js';
import { applyEvent, type TimelineContext } from './faults.js';
import type { ChaosFlags } from './flags.js';
import { adoptChild, type Incarnation, InstanceSlot } from './instances.js';
import type { CallRecord, ClientId, SentCommand } from './messages.js';
import type { ChaosPlan } from './plan.js';
import { ATTEMPTS_COLLECTION, ENGINE, JOBS_COLLECTION, type LedgerRun, PRODUCERS, WORKERS } from './settings.js';

/** How long the quiet phase may wait for every job to settle. */
const SETTLE_TIMEOUT_MS = 60_000;
/** How long the producers and the operator may take to finish in the quiet phase. */
const CLIENT_FINISH_MS = 90_000;
/** How long an instance may take to stop and exit by itself (see instance.ts). */
export const INSTANCE_STOP_MS = ENGINE.shutdownTimeout + 12_000;
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
export class ChaosRun implements TimelineContext {
  readonly stats: RunStats = { faults: new Map(), events: new Map(), settleMs: 0 };
  readonly slots: InstanceSlot[] = [];
  readonly clients: ClientSlot[] = [];
  readonly partitions: Partition[] = [];
  readonly dbName: string;
  quiet = false;
  private backend: TestBackend | undefined;
  private direct: MongoClient | undefined;
  private db: Db | undefined;
  private readonly recoveries: Recovery[] = [];
  private readonly shutdowns: ShutdownTimeout[] = [];
  private readonly calls: CallRecord[] = [];
  private readonly sends: SentCommand[] = [];
  private readonly orphans: string[] = [];
  private readonly stalls: { from: number; to: number }[] = [];
  private stallWatch: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private t0 = Date.now();
  private timelineStarted = false;

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

  /** Starts the backend, one proxy per process, the instances, producers and operator; resolves when all are ready. */
  async setup(): Promise<void> {
    this.backend = await resolveTestBackend();
    this.direct = await new MongoClient(this.backend.uri).connect();
    this.db = this.direct.db(this.dbName);
    this.print(`backend: ${this.backend.description}; database ${this.dbName}`);
    const backendUri = this.backend.uri;
    const { instances } = this.flags;
    for (let slot = 0; slot < instances; slot += 1) {
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
          withoutAlwaysFailing: instances >= 2 && slot === instances - 1,
          log: (line) => this.log(line),
          onEvent: (_incarnation, event, detail) =>
            this.count(this.stats.events, `${event}${detail ? `: ${detail}` : ''}`),
          onExit: (slotOf, incarnation) => this.onExit(slotOf, incarnation),
          onRecovered: (jobId, owner, lockedAt) => this.recoveries.push({ jobId, owner, lockedAt, at: Date.now() }),
          onShutdownTimeout: (instanceId, at, jobIds) => {
            this.shutdowns.push({ instanceId, at, jobIds });
            this.log(
              `${instanceId}: stop() reached its deadline with ${jobIds.length} job(s) unfinished: ${jobIds.join(', ')}`,
            );
          },
        }),
      );
    }
    const clientIds: ClientId[] = [...Array.from({ length: PRODUCERS }, (_, i): ClientId => `p${i}`), 'op'];
    for (const clientId of clientIds) {
      const proxy = await startFaultProxy(backendUri, { logFilter: () => false });
      this.clients.push(
        new ClientSlot(clientId, proxy, {
          dbName: this.dbName,
          corePath: this.flags.corePath,
          log: (line) => this.log(line),
          onCall: (call) => this.onCall(call),
          onSent: (sent) => this.sends.push(sent),
          adopt: adoptChild,
        }),
      );
    }
    this.t0 = Date.now();
    this.watchStalls();
    await Promise.all([
      ...this.slots.map((slot) => this.startSlot(slot)),
      ...this.clients.map((client) => client.start()),
    ]);
  }

  /** Plays the planned events, then returns once the run's duration is over. */
  async runTimeline(): Promise<void> {
    this.t0 = Date.now();
    this.timelineStarted = true;
    for (const event of this.plan.events) {
      await sleep(Math.max(0, this.t0 + event.at - Date.now()));
      if (this.quiet) return;
      applyEvent(this, event);
    }
    await sleep(Math.max(0, this.t0 + this.flags.durationS * 1_000 - Date.now()));
  }

  /**
   * Heals everything, lets the producers and the operator finish (their calls now succeed),
   * restarts dead instances, waits (bounded) for every job to settle, stops the instances.
   */
  async quiesce(): Promise<void> {
    this.quiet = true;
    for (const timer of this.timers) clearTimeout(timer);
    const now = Date.now();
    for (const proxy of [...this.slots, ...this.clients].map((owner) => owner.proxy)) {
      proxy.clearFaults();
      proxy.heal();
    }
    for (const [index, partition] of this.partitions.entries()) {
      if (partition.to > now) this.partitions[index] = { ...partition, to: now };
    }
    this.log('quiet: faults healed and cleared; the producers and the operator finish their work');
    await Promise.all(this.clients.map((client) => client.stop(CLIENT_FINISH_MS)));
    await Promise.all(this.slots.filter((slot) => !slot.alive).map((slot) => this.startSlot(slot)));
    const jobs = this.jobs();
    const unsettled = (): Promise<number> =>
      jobs.countDocuments({
        // A job still waiting once everything else settled is one the checker flags (invariant 13):
        // it is waited for, so the workflow sweep has its time to release it.
        $or: [
          { status: { $in: ['processing', 'waiting'] } },
          { status: 'pending', name: { $ne: WORKERS.recurring.name } },
        ],
      });
    this.log(`waiting for ${await unsettled()} unsettled jobs`);
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
    await Promise.all(this.slots.map((slot) => slot.stop(INSTANCE_STOP_MS)));
  }

  /** Reads back the jobs and the ledger of every process, with everything the orchestrator recorded. */
  async collect(): Promise<RunRecord> {
    const db = this.database();
    const incarnations = this.slots.flatMap((slot) => slot.incarnations);
    const runs: LedgerRun[] = [];
    for (const incarnation of incarnations)
      runs.push(...(await db.collection<LedgerRun>(incarnation.ledger).find({}).toArray()));
    return {
      jobs: await this.jobs().find({}).toArray(),
      runs,
      incarnations,
      clients: this.clients.map((client) => client.record),
      refreshes: this.slots.flatMap((slot) => this.refreshesOf(slot)),
      recoveries: this.recoveries,
      calls: this.calls,
      sends: this.sends,
      shutdowns: this.shutdowns,
      partitions: this.partitions,
      orphans: this.orphans,
      stalls: this.stalls,
    };
  }

  /** Releases everything; idempotent. Deletes the run's data when `dropData` (kept for inspection otherwise). */
  async cleanup(dropData: boolean): Promise<void> {
    this.quiet = true;
    clearInterval(this.stallWatch);
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all([
      ...this.slots.map((slot) => slot.stop(2_000)),
      ...this.clients.map((client) => client.stop(2_000)),
    ]);
    for (const owner of [...this.slots, ...this.clients]) await owner.proxy.close();
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

  /** Counts a fault of `type` armed (`field` 0) or hit (1). */
  countFault(type: string, field: 0 | 1): void {
    const counts = this.stats.faults.get(type) ?? [0, 0];
    counts[field] += 1;
    this.stats.faults.set(type, counts);
  }

  /** Runs `work` after `ms`, unless the run went quiet first. */
  later(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms);
    this.timers.add(timer);
  }

  /** See {@link TimelineContext.plantOrphan}. */
  async plantOrphan(): Promise<string> {
    const now = Date.now();
    const hourAgo = new Date(now - 3_600_000);
    const { insertedId } = await this.database()
      .collection(JOBS_COLLECTION)
      .insertOne({
        name: WORKERS.fast.name,
        data: { kind: 'fast', ms: 10, ref: `orphan.${this.orphans.length + 1}` },
        status: 'processing',
        nextRunAt: hourAgo,
        priority: 0,
        lockedAt: hourAgo,
        owner: 'another-tool',
        startedAt: hourAgo,
        failCount: 0,
        attempts: 1,
        createdAt: hourAgo,
        updatedAt: hourAgo,
      });
    this.orphans.push(String(insertedId));
    return String(insertedId);
  }

  /** See {@link TimelineContext.findStubbornRun}. */
  async findStubbornRun(): Promise<{ jobId: string; owner: string } | undefined> {
    // The most recently claimed one: it has the longest left to run (its stop() deadline must find it).
    const job = await this.jobs().findOne(
      { status: 'processing', 'data.stubborn': true, cancelRequestedAt: { $exists: false } },
      { sort: { startedAt: -1 } },
    );
    return job?.owner ? { jobId: String(job._id), owner: job.owner } : undefined;
  }

  /** Starts the slot's next incarnation and logs it. */
  async startSlot(slot: InstanceSlot): Promise<void> {
    try {
      const incarnation = await slot.start();
      const skew =
        incarnation.skewMs === 0 ? '' : ` (clock ${incarnation.skewMs > 0 ? '+' : ''}${incarnation.skewMs / 1_000} s)`;
      this.log(`${incarnation.instanceId} ready${skew}`);
    } catch (error) {
      this.log(`${slot.label} did not start: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Records every stall of this process's event loop longer than 500 ms: the fault proxies run here,
   * so meanwhile no instance's claim or renewal reached the server (the checker must know).
   */
  private watchStalls(): void {
    let last = Date.now();
    this.stallWatch = setInterval(() => {
      const now = Date.now();
      if (now - last > 500) this.stalls.push({ from: last, to: now });
      last = now;
    }, 100);
    this.stallWatch.unref();
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

  /** Records a producer's or the operator's call; logs the operator's writes and every rejected enqueue. */
  private onCall(call: CallRecord): void {
    this.calls.push(call);
    if (
      call.method === 'getJobs' ||
      call.method === 'getJob' ||
      ((call.method === 'enqueue' || call.method === 'flow') && !call.error)
    )
      return;
    const target = call.name ?? (call.method === 'enqueue' ? call.ref : call.jobId) ?? '';
    const outcome = call.error === undefined ? `→ ${String(call.returned)}` : `threw ${call.error.slice(0, 160)}`;
    this.log(`${call.client} ${call.action} ${call.method}(${target}) ${outcome}`);
  }

  private onExit(slot: InstanceSlot, incarnation: Incarnation): void {
    if (incarnation.exit !== 'crashed' || this.quiet) return;
    this.later(1_000, () => {
      if (!this.quiet && !slot.alive) void this.startSlot(slot);
    });
  }
}
