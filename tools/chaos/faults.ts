/**
 * Playing one planned event of a chaos run: a wave handed to a producer, an action handed to the
 * operator, or a fault applied to an instance's or a client's proxy (or to the instance itself).
 */
import type { FaultHandle, FaultProxy } from '../test-backend/src/index.js';
import type { ClientSlot } from './clients.js';
import { isClaim, isClaimRead, isClientWrite, isLockRenewal } from './engine-commands.js';
import type { Partition } from './evidence.js';
import type { InstanceSlot } from './instances.js';
import type { PlannedEvent } from './plan.js';
import { ENGINE, WORKERS } from './settings.js';

/** What playing an event needs from the run. */
export interface TimelineContext {
  readonly slots: readonly InstanceSlot[];
  readonly clients: readonly ClientSlot[];
  readonly partitions: Partition[];
  readonly quiet: boolean;
  log(line: string): void;
  countFault(type: string, field: 0 | 1): void;
  later(ms: number, work: () => void): void;
  startSlot(slot: InstanceSlot): Promise<void>;
  /** Inserts a job left `processing` by another tool (see `plant-orphan`); resolves with its id. */
  plantOrphan(): Promise<string>;
  /** A running job whose handler ignores its signal and whose cancellation was not requested yet, with its owner. */
  findStubbornRun(): Promise<{ jobId: string; owner: string } | undefined>;
}

/** How long a planned restart may take to stop the instance (see run.ts). */
const RESTART_STOP_MS = 14_000;
let waves = 0;

/**
 * Records a partition of the slot's proxy from now for `ms`. A new partition replaces the one in
 * force (the proxy heals it), so that one ends now: the checker must not think the instance cut
 * off longer than it was.
 */
function recordPartition(context: TimelineContext, slot: InstanceSlot, ms: number): void {
  const now = Date.now();
  for (const [index, partition] of context.partitions.entries()) {
    if (partition.slot === slot.slot && partition.to > now) context.partitions[index] = { ...partition, to: now };
  }
  context.partitions.push({ slot: slot.slot, from: now, to: now + ms });
}
let cancellations = 0;

/** Stops the slot's instance (after cutting it off for `outageMs`, if given), then starts a new one. */
function restart(
  context: TimelineContext,
  slot: InstanceSlot,
  downMs: number,
  outageMs?: number,
  outageMode: 'reset' | 'blackhole' = 'blackhole',
): void {
  if (outageMs) {
    slot.proxy.partition({ mode: outageMode, forMs: outageMs });
    recordPartition(context, slot, outageMs);
  }
  context.countFault(outageMs ? 'restart-during-outage' : 'restart', 0);
  const during = outageMs ? ` during a ${(outageMs / 1_000).toFixed(1)} s outage (${outageMode})` : '';
  context.log(
    `${slot.label} restart${during}: stop(), then a new process ${(downMs / 1_000).toFixed(1)} s after it exits`,
  );
  void slot.stop(RESTART_STOP_MS).then(() => {
    if (!context.quiet) context.later(downMs, () => void context.startSlot(slot));
  });
}

/**
 * A running stubborn job's instance restarts, and 1.5 s into its `stop()` (0.5 s before the
 * deadline) the operator cancels the job: the deadline finds a run whose cancellation was just
 * requested. The job is looked for during 4 s (the one claimed last: it has the longest left to run).
 */
async function cancelDuringStop(context: TimelineContext, downMs: number): Promise<void> {
  const slotOf = (owner: string | undefined): InstanceSlot | undefined =>
    context.slots.find(
      (candidate) => candidate.alive && !candidate.stopping && candidate.incarnations.at(-1)?.instanceId === owner,
    );
  let found = await context.findStubbornRun();
  for (let tries = 0; tries < 16 && !slotOf(found?.owner) && !context.quiet; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    found = await context.findStubbornRun();
  }
  const slot = slotOf(found?.owner);
  if (!found || !slot || context.quiet) {
    context.log('cancel-during-stop: no running job ignoring its signal; skipped');
    return;
  }
  cancellations += 1;
  const action = { id: `c${cancellations}`, kind: 'cancel-job' as const, jobId: found.jobId };
  context.countFault('cancel-during-stop', 0);
  context.log(
    `cancel-during-stop: ${slot.label} restarts; its job ${found.jobId} is cancelled 1.5 s into stop() (${action.id})`,
  );
  restart(context, slot, downMs);
  context.later(1_500, () =>
    context.clients.find((client) => client.clientId === 'op')?.order({ type: 'act', action }),
  );
}

function watch(context: TimelineContext, type: string, label: string, handle: FaultHandle): void {
  context.countFault(type, 0);
  void handle.firstHit.then((command) => {
    context.countFault(type, 1);
    context.log(`${label} ${type}: hit ${command.name} ${command.collection}`);
  });
}

function partition(
  context: TimelineContext,
  proxy: FaultProxy,
  label: string,
  type: string,
  mode: 'reset' | 'blackhole',
  ms: number,
): void {
  proxy.partition({ mode, forMs: ms });
  context.countFault(`${type}-${mode}`, 0);
  context.log(`${label} ${type} (${mode}) for ${(ms / 1_000).toFixed(1)} s`);
}

/** Applies one planned event. */
export function applyEvent(context: TimelineContext, event: PlannedEvent): void {
  if (event.type === 'wave') {
    waves += 1;
    const wave = waves;
    const producer = context.clients.find((client) => client.clientId === `p${event.producer}`);
    context.log(`wave ${wave}: ${event.jobs.length} jobs to p${event.producer}`);
    producer?.order({
      type: 'enqueue',
      orders: event.jobs.map((data, i) => ({ order: `w${wave}.${i}`, name: WORKERS[data.kind].name, data })),
    });
    return;
  }
  if (event.type === 'workflow') {
    const wf = event.nodes[0]?.data.wf ?? '?';
    const producer = context.clients.find((client) => client.clientId === `p${event.producer}`);
    context.log(
      `workflow ${wf}: ${event.nodes.length} jobs to p${event.producer}${event.flow ? ' as one flow()' : ''}`,
    );
    producer?.order({
      type: 'enqueue',
      ...(event.flow ? { flow: wf } : {}),
      orders: event.nodes.map((node, i) => ({
        order: `${wf}.${i}`,
        name: WORKERS[node.data.kind].name,
        data: node.data,
        ...(node.after.length > 0 ? { after: node.after.map((dependency) => `${wf}.${dependency}`) } : {}),
        ...(node.runAnyway ? { runAnyway: true } : {}),
      })),
    });
    return;
  }
  if (event.type === 'operate') {
    const { action } = event;
    context.log(
      `operator ${action.id}: ${action.kind}${action.kind === 'pause' ? ` ${action.name} for ${action.ms} ms` : ''}`,
    );
    context.clients.find((client) => client.clientId === 'op')?.order({ type: 'act', action });
    return;
  }
  if ('client' in event) {
    const client = context.clients.find((candidate) => candidate.clientId === event.client);
    if (!client) return;
    if (event.type === 'client-partition')
      partition(context, client.proxy, event.client, 'client-partition', event.mode, event.ms);
    else if (event.type === 'lose-client-reply')
      watch(context, event.type, event.client, client.proxy.loseReply(isClientWrite));
    else watch(context, event.type, event.client, client.proxy.dropRequest(isClientWrite));
    return;
  }
  if (event.type === 'plant-orphan') {
    void context
      .plantOrphan()
      .then((jobId) =>
        context.log(`planted ${jobId}: processing, locked an hour ago by 'another-tool', no claim token`),
      );
    return;
  }
  if (event.type === 'cancel-during-stop') {
    void cancelDuringStop(context, event.downMs);
    return;
  }
  const slot = context.slots[event.instance] as InstanceSlot;
  if (event.type === 'partition') {
    const type = event.ms > ENGINE.lockTimeout ? 'long-partition' : 'partition';
    partition(context, slot.proxy, slot.label, type, event.mode, event.ms);
    recordPartition(context, slot, event.ms);
  } else if (event.type === 'lose-claim-reply') {
    watch(context, event.type, slot.label, slot.proxy.loseReply(isClaim));
  } else if (event.type === 'drop-claim') {
    watch(context, event.type, slot.label, slot.proxy.dropRequest(isClaim));
  } else if (event.type === 'drop-renewal') {
    watch(context, event.type, slot.label, slot.proxy.dropRequest(isLockRenewal));
  } else if (event.type === 'drop-claim-read') {
    watch(context, event.type, slot.label, slot.proxy.dropRequest(isClaimRead));
  } else if (event.type === 'kill') {
    const killed = slot.kill();
    context.countFault('kill', 0);
    context.log(
      killed
        ? `SIGKILL ${killed}; restart in ${(event.downMs / 1_000).toFixed(1)} s`
        : `${slot.label} is down: kill skipped`,
    );
    if (killed) context.later(event.downMs, () => void context.startSlot(slot));
  } else if (event.type === 'restart') {
    if (slot.stopping) context.log(`${slot.label} is stopping: restart skipped`);
    else if (slot.alive) restart(context, slot, event.downMs, event.outageMs, event.outageMode);
    else context.log(`${slot.label} is down: restart skipped`);
  }
}
