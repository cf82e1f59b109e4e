/**
 * A producer of a chaos run, in its own process (started by `main.ts`, never by hand): it enqueues
 * the jobs of the waves it is sent through its own fault proxy, as an application would, retrying
 * each on error with a new call (and a new `data.ref`) until one resolves. Every call is recorded
 * with what it returned or threw; and from the driver's `commandStarted` events, when a command
 * carrying each `data.ref` was first sent, so the checker can tell a write sent after its caller
 * was given an error. A job of a workflow waits for the orders it depends on, and names their jobs
 * in its `dependsOn`. A job whose data names a `group` is enqueued in that group.
 */
import type { CommandStartedEvent, ObjectId } from 'mongodb';
import { type ClientKit, GIVE_UP_AFTER_MS, sleep, startClient } from './client-kit.js';
import type { ClientOrder, Order } from './messages.js';

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

const kit = await startClient('producer.ts', (self: ClientKit, message: ClientOrder) => {
  if (message.type !== 'enqueue') return;
  for (const order of message.orders) {
    const job = produce(self, order);
    enqueued.set(order.order, job);
    self.track(job);
  }
});
watchSends(kit);
