/**
 * Command-line flags of the chaos run.
 */
import { DEFAULT_CORE } from './core.js';

/** The parsed flags. */
export interface ChaosFlags {
  /** Seed of every random choice. @defaultValue a random 32-bit integer */
  readonly seed: number;
  /** Seconds of faults and load before the quiet phase. @defaultValue 90 */
  readonly durationS: number;
  /** Instance processes. @defaultValue 3 */
  readonly instances: number;
  /** The core's entry point. @defaultValue packages/core/src/index.ts */
  readonly corePath: string;
}

const USAGE = 'usage: npm run chaos -- [--seed N] [--duration SECONDS] [--instances K] [--core PATH/index.ts]';

function integer(flag: string, value: string | undefined, min: number, max: number): number {
  const number = Number(value);
  if (value === undefined || !Number.isInteger(number) || number < min || number > max) {
    throw new Error(`${flag} expects an integer from ${min} to ${max}, got ${value ?? 'nothing'}\n${USAGE}`);
  }
  return number;
}

/** Parses `argv` (without node and the script). @throws Error naming the bad flag, with the usage line */
export function parseFlags(argv: readonly string[]): ChaosFlags {
  let seed = Math.floor(Math.random() * 0x1_0000_0000);
  let durationS = 90;
  let instances = 3;
  let corePath = DEFAULT_CORE;
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = (argv[i] as string).split('=', 2) as [string, string | undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    if (flag === '--seed') seed = integer(flag, value(), 0, 0xffff_ffff);
    else if (flag === '--duration') durationS = integer(flag, value(), 10, 3_600);
    else if (flag === '--instances') instances = integer(flag, value(), 1, 8);
    else if (flag === '--core') corePath = value() ?? corePath;
    else if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    else throw new Error(`unknown flag ${flag}\n${USAGE}`);
  }
  return { seed, durationS, instances, corePath };
}
