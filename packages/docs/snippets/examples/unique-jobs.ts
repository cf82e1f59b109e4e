/**
 * Example: deduplicating jobs with `uniqueKey`.
 */
import type { Job, Monque } from '@monque/core';

/** The payload of a `reindex-product` job. */
export interface ReindexProduct {
  productId: string;
}

/** Enqueues a reindex of a product unless one is already waiting or running. */
// #region enqueue
export async function requestReindex(monque: Monque, productId: string): Promise<Job<ReindexProduct>> {
  // While a 'reindex-product' job with this key is pending or processing, this returns that job
  // unchanged (same _id, same data, same nextRunAt) instead of adding a second one —
  // also when many processes call it at the same moment: a unique index decides.
  return monque.enqueue<ReindexProduct>('reindex-product', { productId }, { uniqueKey: `product:${productId}` });
}
// #endregion enqueue

/** Shows that a burst of requests for one product makes one job. */
// #region burst
export async function burst(monque: Monque): Promise<boolean> {
  const jobs = await Promise.all([
    requestReindex(monque, 'p-42'),
    requestReindex(monque, 'p-42'),
    requestReindex(monque, 'p-42'),
  ]);
  const [first, ...rest] = jobs;
  return rest.every((job) => first !== undefined && job._id.equals(first._id)); // true
}
// #endregion burst

/** Once the job has completed or failed, the key is free again. */
// #region after
export async function afterCompletion(monque: Monque, done: Job<ReindexProduct>): Promise<Job<ReindexProduct>> {
  // `done` is completed (or failed for good): it no longer holds the key.
  const again = await requestReindex(monque, done.data.productId);
  // again._id differs from done._id: a new pending job.
  return again;
}
// #endregion after
