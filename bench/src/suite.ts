/**
 * A suite runs one scenario for both libraries (repeated where it says so) and returns its table
 * rows, its target checks and its details for the JSON report.
 */
import type { BenchContext } from './bench-context.js';
import type { BenchOptions, ScenarioName } from './cli-options.js';
import type { CommandClassifier } from './command-counter.js';
import { agendaLibrary } from './queues/agenda-queue.js';
import type { QueueLibrary } from './queues/bench-queue.js';
import { agendaPurpose, monquePurpose } from './queues/command-purposes.js';
import { monqueLibrary } from './queues/monque-queue.js';
import type { Figure } from './report.js';
import type { TargetCheck } from './targets.js';

/** What one suite hands back. */
export interface SuiteResult {
  readonly figures: Figure[];
  readonly targets: TargetCheck[];
  /** Keys added to `results/latest.json` (e.g. `{ steadyLoad: ... }`). */
  readonly details: Record<string, unknown>;
  /** The settings it ran with (recorded under `settings.<scenario>`). */
  readonly settings: unknown;
  /** Extra lines printed under the table. */
  readonly notes: string[];
}

/** One scenario of `npm run bench`. */
export interface Suite {
  readonly name: ScenarioName;
  run(context: BenchContext, options: BenchOptions): Promise<SuiteResult>;
}

/** A library with the classifier of its commands. */
export interface LibraryUnderTest {
  readonly library: QueueLibrary;
  readonly classify: CommandClassifier;
}

/** Both libraries, Monque first. */
export const LIBRARIES: readonly LibraryUnderTest[] = [
  { library: monqueLibrary, classify: monquePurpose },
  { library: agendaLibrary, classify: agendaPurpose },
];

/** Values per library. */
export type PerLibrary<T> = Record<QueueLibrary['label'], T>;

/** `{ Monque: make(), Agenda: make() }`. */
export function perLibrary<T>(make: () => T): PerLibrary<T> {
  return { Monque: make(), Agenda: make() };
}

/** The libraries `options.libraries` asks for, Monque first. */
export function librariesFor(options: BenchOptions): LibraryUnderTest[] {
  return LIBRARIES.filter(({ library }) => options.libraries.includes(library.label));
}

/** Each run alternates which library goes first, so neither always meets a warmer server. */
export function orderFor(run: number, options: BenchOptions): LibraryUnderTest[] {
  const chosen = librariesFor(options);
  return run % 2 === 0 ? chosen : chosen.reverse();
}

/** Progress on stderr (the table goes to stdout). */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
