/**
 * Which requests a fault applies to: a function of the decoded command, or a small matcher object.
 */
import type { WireCommand } from './wire.js';

/** Decides whether a fault applies to a request. */
export type CommandPredicate = (command: WireCommand) => boolean;

/**
 * A declarative predicate: every given field must match (an omitted field matches anything).
 *
 * @example `{ name: 'findAndModify', collection: 'jobs' }`
 */
export interface CommandMatcher {
  /** The command name, or any of several (e.g. `['update', 'findAndModify']`). */
  readonly name?: string | readonly string[];
  /** The collection the command targets. */
  readonly collection?: string;
  /** The database. */
  readonly db?: string;
  /** A further condition on the whole command. */
  readonly where?: CommandPredicate;
}

/** A predicate or a matcher. */
export type CommandFilter = CommandPredicate | CommandMatcher;

/** Turns a {@link CommandFilter} into a predicate. */
export function toPredicate(filter: CommandFilter): CommandPredicate {
  if (typeof filter === 'function') return filter;
  const names =
    filter.name === undefined ? undefined : new Set(typeof filter.name === 'string' ? [filter.name] : filter.name);
  return (command) =>
    (names === undefined || names.has(command.name)) &&
    (filter.collection === undefined || command.collection === filter.collection) &&
    (filter.db === undefined || command.db === filter.db) &&
    (filter.where === undefined || filter.where(command));
}

/**
 * The commands the driver sends on its own to check a server and open connections: `hello` and the
 * legacy `isMaster` (heartbeats, round-trip pings and every connection handshake).
 */
export function isMonitoringCommand(command: WireCommand): boolean {
  return command.name === 'hello' || command.name === 'isMaster' || command.name === 'ismaster';
}
