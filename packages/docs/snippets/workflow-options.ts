/**
 * Workflows: a chain with its failure policy, dead letters, and the operations on waiting jobs.
 * `tests/workflows.test.ts` runs these functions against a server.
 */
import type { Job, Monque } from '@monque/core';

/** Charge, then ship, then e-mail: each step waits for the one before. */
export async function orderChain(monque: Monque, orderId: number): Promise<Job[]> {
  // #region chain
  const charge = await monque.enqueue('charge', { orderId }, { deadLetter: 'charge-failed' });
  const ship = await monque.enqueue('ship', { orderId }, { dependsOn: [charge._id] });
  const email = await monque.enqueue('email-receipt', { orderId }, { dependsOn: [ship._id] });
  // A log line is written whatever happened to the order: it runs even when a step failed.
  const audit = await monque.enqueue(
    'audit',
    { orderId },
    { dependsOn: [charge._id, ship._id, email._id], onDependencyFailure: 'run' },
  );
  // #endregion chain
  return [charge, ship, email, audit];
}

/** The workers of the chain: a charge that always fails, and its dead letter. */
export function registerChainWorkers(monque: Monque, log: (line: string) => void): void {
  // #region dead-letter
  monque.worker<{ orderId: number }>(
    'charge',
    async () => {
      throw new Error('card declined');
    },
    { maxRetries: 1 },
  );
  // Enqueued once per failure for good, with the same data and `deadLetterOf`.
  monque.worker<{ orderId: number }>('charge-failed', async (job) => {
    log(`order ${job.data.orderId}: ${job.deadLetterOf?.name} failed (${job.deadLetterOf?.failReason})`);
  });
  // #endregion dead-letter
  monque.worker('audit', async (_job, { dependencies }) => {
    for (const { name, status } of await dependencies()) log(`${name}: ${status}`);
  });
}

/** What the operations show of a workflow. */
export async function inspectWorkflow(monque: Monque, job: Job): Promise<string[]> {
  // #region operations
  const waiting = await monque.getJobs({ status: 'waiting' }); // jobs waiting for their dependencies
  const shown = await monque.getJob(job._id); // with `dependsOn`, and `dependents` when it has any
  const dependencies = shown?.dependsOn ? await monque.getJobs({ ids: shown.dependsOn }) : { jobs: [] };
  const dependents = await monque.getJobs({ dependsOn: job._id });
  const { total } = await monque.getStats({ flowId: shown?.flowId ?? job._id }); // a flow's progress
  await monque.cancelJob(job._id); // a waiting job: cancelled, and its dependents after it
  // #endregion operations
  return [
    `waiting: ${waiting.jobs.length}`,
    `dependencies: ${dependencies.jobs.length}`,
    `dependents: ${dependents.jobs.length}`,
    `flow: ${total.completed} completed`,
  ];
}
