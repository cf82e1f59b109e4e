/**
 * What the steady-load producer offers: job `seq` at `start + seq / rate`, with fixed shares of
 * delayed and failing jobs chosen by `seq` (deterministic, the same for both libraries).
 */
import type { JobPayload } from '../queues/bench-queue.js';

/** The producer's plan. */
export interface OfferPlan {
  /** Offered jobs per second. */
  readonly rate: number;
  /** Length of the offer window. */
  readonly seconds: number;
  /** Every `delayedEvery`-th job (at offset 5) is delayed. @defaultValue 10 (10 %) */
  readonly delayedEvery: number;
  /** Delays are spread over `[minDelayMs, maxDelayMs)`. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** Every `failingEvery`-th job (at offset 10) fails its first attempt. @defaultValue 20 (5 %) */
  readonly failingEvery: number;
}

/** The default shares: 10 % delayed by 0.5–2 s, 5 % failing once. */
export function offerPlan(rate: number, seconds: number): OfferPlan {
  return { rate, seconds, delayedEvery: 10, minDelayMs: 500, maxDelayMs: 2000, failingEvery: 20 };
}

/** Jobs offered over the whole window. */
export function offeredJobs(plan: OfferPlan): number {
  return Math.round(plan.rate * plan.seconds);
}

/** When job `seq` is due to be offered, in ms after the window starts. */
export function offerTime(plan: OfferPlan, seq: number): number {
  return (seq * 1000) / plan.rate;
}

/** The delay of job `seq` (0 for an immediate job); spread by a multiplicative hash of `seq`. */
export function delayOf(plan: OfferPlan, seq: number): number {
  if (seq % plan.delayedEvery !== 5 % plan.delayedEvery) return 0;
  const spread = plan.maxDelayMs - plan.minDelayMs;
  return plan.minDelayMs + ((seq * 7919) % 1000) * (spread / 1000);
}

/** The payload (and `runAt`) of job `seq`, offered at `now`. */
export function jobOf(plan: OfferPlan, seq: number, now: number): { payload: JobPayload; runAt?: Date } {
  const delay = delayOf(plan, seq);
  const failFirstAttempt = seq % plan.failingEvery === 10 % plan.failingEvery;
  if (delay === 0) return { payload: { seq, enqueuedAt: now, ...(failFirstAttempt ? { failFirstAttempt } : {}) } };
  const dueAt = Math.round(now + delay);
  return {
    payload: { seq, enqueuedAt: now, dueAt, ...(failFirstAttempt ? { failFirstAttempt } : {}) },
    runAt: new Date(dueAt),
  };
}
