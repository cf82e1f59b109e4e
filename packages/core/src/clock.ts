import type { Clock } from './types.js';

/** The system clock: the default time source of the engine. */
export const systemClock: Clock = {
  now: () => new Date(),
};
