/**
 * A producer of a chaos run, in its own process (started by `main.ts`, never by hand): it enqueues
 * the jobs of the waves it is sent through its own fault proxy, as an application would, retrying
 * each on error with a new call (and a new `data.ref`) until one resolves. Every call is recorded
 * with what it returned or threw; and from the driver's `commandStarted` events, when a command
 * carrying each `data.ref` was first sent, so the checker can tell a write sent after its caller
 * was given an error. A job of a workflow waits for the orders it depends on, and names their jobs
 * in its `dependsOn`; or a whole workflow is one `flow()` call. A job whose data names a `group` is enqueued in that group.
 */
import type { CommandStartedEvent, ObjectId } from 'mongodb';
import { type ClientKit, describe, GIVE_UP_AFTER_MS, sleep, startClient } from './client-kit.js';
import type { CoreFlowNode, CoreFlowSpec } from './core.js';
import type { CallRecord, ClientOrder, Order } from './messages.js';

const sent = new Set<string>();

function watchSends(kit: ClientKit): void {
  kit.client.on('commandStarted', (event: CommandStartedEvent) => {
    if (event.commandName !== 'insert' || !Array.isArray(event.command.documents)) return;
    const at = Date.now();
    for (const doc of event.command.documents as { data?: { ref?: unknown } }[]) {
      const ref = doc?.data?.ref;
      if (typeof ref !== 'string' || sent.has(ref)) continue;
      sent.add(ref);
      kit.send({ type: 'sent', sent: { ref, at } });
    }
  });
}

/** The job each order's resolved call returned (`undefined` when the order was given up). */
const enqueued = new Map<string, Promise<ObjectId | undefined>>();

/**
 * Enqueues one order: a new call (and ref) after each error, until one resolves or it is given up.
 * A job of a workflow is enqueued once the orders it depends on resolved, with `dependsOn` naming
 * their jobs (not at all when one of them was given up).
 */
async function produce(
  kit: ClientKit,
  { order, name, data, after = [], runAnyway }: Order,
): Promise<ObjectId | undefined> {
  const dependencies = await Promise.all(after.map((dependency) => enqueued.get(dependency)));
  if (dependencies.some((dependency) => dependency === undefined)) return undefined;
  const options = {
    ...(dependencies.length === 0 ? {} : { dependsOn: dependencies as ObjectId[] }),
    ...(runAnyway ? { onDependencyFailure: 'run' as const } : {}),
    ...(data.group === undefined ? {} : { group: data.group }),
  };
  const deadline = Date.now() + 2 * GIVE_UP_AFTER_MS;
  for (let attempt = 1; ; attempt += 1) {
    const ref = `${order}.${attempt}`;
    const result = await kit.attempt(
      'enqueue',
      { action: order, ref },
      () => kit.monque.enqueue(name, { ...data, ref }, Object.keys(options).length === 0 ? undefined : options),
      (job) => String(job._id),
    );
    if (result.ok) return result.value._id;
    if (Date.now() > deadline) return undefined;
    await sleep(200 + Math.floor(Math.random() * 300));
  }
}

/**
 * The `flow()` spec of a workflow's orders (each order's parent is the one whose `after` names it;
 * the root is the one no other names), each job's data carrying `ref` of `attempt`; and the order
 * of each spec, in the order the returned tree walks them.
 */
function flowSpec(orders: readonly Order[], attempt: number): { spec: CoreFlowSpec; walk: Order[] } {
  const named = new Set(orders.flatMap((order) => order.after ?? []));
  const byOrder = new Map(orders.map((order) => [order.order, order]));
  const walk: Order[] = [];
  const build = (order: Order): CoreFlowSpec => {
    walk.push(order);
    const children = (order.after ?? []).map((child) => build(byOrder.get(child) as Order));
    return {
      name: order.name,
      data: { ...order.data, ref: `${order.order}.${attempt}` },
      ...(order.runAnyway ? { options: { onDependencyFailure: 'run' as const } } : {}),
      ...(children.length > 0 ? { children } : {}),
    };
  };
  const root = orders.find((order) => !named.has(order.order)) as Order;
  return { spec: build(root), walk };
}

/** The jobs of a `flow()` tree, in the order {@link flowSpec} walked the specs. */
function jobsOf(node: CoreFlowNode): ObjectId[] {
  return [node.job._id, ...node.children.flatMap(jobsOf)];
}

/**
 * Enqueues a workflow's orders as one tree with one `flow()` call, a new call (and new refs) after
 * each error, until one resolves or it is given up. The call is recorded as `flow`, and for each
 * of its jobs as an `enqueue` of that job's ref (what it returned or threw), so the checker judges
 * every job of it as it judges one enqueued alone: a rejected flow() wrote none of them unless it
 * said it may have been applied.
 */
async function produceFlow(kit: ClientKit, wf: string, orders: readonly Order[]): Promise<void> {
  const deadline = Date.now() + 2 * GIVE_UP_AFTER_MS;
  const settle = (jobs: readonly (ObjectId | undefined)[], walk: readonly Order[]): void => {
    for (const [i, order] of walk.entries()) resolvers.get(order.order)?.(jobs[i]);
  };
  for (let attempt = 1; ; attempt += 1) {
    const { spec, walk } = flowSpec(orders, attempt);
    const start = Date.now();
    const result = await kit.attempt(
      'flow',
      { action: wf, ref: walk.map((order) => `${order.order}.${attempt}`).join(',') },
      () => kit.monque.flow(spec),
      (tree) => String(tree.job._id),
    );
    const end = Date.now();
    const jobs = result.ok ? jobsOf(result.value) : [];
    const flag = result.ok ? undefined : (result.error as { mayHaveBeenApplied?: unknown } | null)?.mayHaveBeenApplied;
    for (const [i, order] of walk.entries()) {
      const call: CallRecord = {
        client: kit.config.clientId,
        method: 'enqueue',
        action: order.order,
        ref: `${order.order}.${attempt}`,
        start,
        end,
        ...(result.ok
          ? { returned: String(jobs[i]) }
          : { error: describe(result.error), ...(typeof flag === 'boolean' ? { mayHaveBeenApplied: flag } : {}) }),
      };
      kit.send({ type: 'call', call });
    }
    if (result.ok) return settle(jobs, walk);
    if (Date.now() > deadline) return settle([], walk);
    await sleep(200 + Math.floor(Math.random() * 300));
  }
}

/** Resolves the promise of each order of a flow in progress with its job. */
const resolvers = new Map<string, (job: ObjectId | undefined) => void>();

const kit = await startClient('producer.ts', (self: ClientKit, message: ClientOrder) => {
  if (message.type !== 'enqueue') return;
  if (message.flow !== undefined) {
    for (const order of message.orders)
      enqueued.set(order.order, new Promise((resolve) => resolvers.set(order.order, resolve)));
    self.track(produceFlow(self, message.flow, message.orders));
    return;
  }
  for (const order of message.orders) {
    const job = produce(self, order);
    enqueued.set(order.order, job);
    self.track(job);
  }
});
watchSends(kit);
