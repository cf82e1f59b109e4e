/**
 * A producer of a chaos run, in its own process (started by `main.ts`, never by hand): it enqueues
 * the jobs of the waves it is sent through its own fault proxy, as an application would, retrying
 * each on error with a new call (and a new `data.ref`) until one resolves. Every call is recorded
 * with what it returned or threw; and from the driver's `commandStarted` events, when a command
 * carrying each `data.ref` was first sent, so the checker can tell a write sent after its caller
 * was given an error.
 */
import type { CommandStartedEvent } from 'mongodb';
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

/** Enqueues one order: a new call (and ref) after each error, until one resolves or it is given up. */
async function produce(kit: ClientKit, { order, name, data }: Order): Promise<void> {
  const deadline = Date.now() + 2 * GIVE_UP_AFTER_MS;
  for (let attempt = 1; ; attempt += 1) {
    const ref = `${order}.${attempt}`;
    const result = await kit.attempt(
      'enqueue',
      { action: order, ref },
      () => kit.monque.enqueue(name, { ...data, ref }),
      (job) => String(job._id),
    );
    if (result.ok || Date.now() > deadline) return;
    await sleep(200 + Math.floor(Math.random() * 300));
  }
}

const kit = await startClient('producer.ts', (self: ClientKit, message: ClientOrder) => {
  if (message.type !== 'enqueue') return;
  for (const order of message.orders) self.track(produce(self, order));
});
watchSends(kit);
