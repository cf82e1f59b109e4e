/**
 * What each library's commands are for, read from the commands themselves (see
 * `CommandCounter`). Only the shapes the benchmark produces need to be recognised; anything else
 * is `other`.
 */
import type { CommandStartedEvent, Document } from 'mongodb';
import { type CommandClassifier, type CommandPurpose, setOf } from '../command-counter.js';

const SETUP = new Set(['createIndexes', 'listIndexes', 'hello', 'isMaster', 'buildInfo']);

/** The collection a command addresses (`{ find: 'jobs', ... }`). */
function collectionOf(event: CommandStartedEvent): string {
  const target = event.command[event.commandName] as unknown;
  return typeof target === 'string' ? target : '';
}

const WORKFLOW_FIELDS = /"(dependsOn|settledDependencies|notifyDependents|linkPending|deadLetterDue|flowId)"|"staged"/;

/**
 * Monque's workflow commands (dependencies, flows, dead letters): they name a workflow field in
 * their filter or update, apart from the outcome write's `notifyDependents: { $exists: false }`.
 */
function isWorkflow(event: CommandStartedEvent): boolean {
  const text = JSON.stringify(event.command).replaceAll('"notifyDependents":{"$exists":false}', '');
  return WORKFLOW_FIELDS.test(text);
}

/**
 * Monque: workflow = commands on dependencies, flows and dead letters (telling dependents, linking,
 * the workflow sweep); claim = find of due jobs / updateMany to `processing` / read-back by claim token;
 * recovery = reads of `processing` jobs (stale locks); bookkeeping = its side collections
 * (`<jobs>_metrics` throughput counters, `<jobs>_control` pauses).
 */
export const monquePurpose: CommandClassifier = (event: CommandStartedEvent): CommandPurpose => {
  const { commandName, command } = event;
  if (SETUP.has(commandName)) return 'setup';
  if (/_(metrics|control)$/.test(collectionOf(event))) return 'bookkeeping';
  if (commandName === 'insert') return 'enqueue';
  if (isWorkflow(event)) return 'workflow';
  if (commandName === 'ping') return 'poll';
  const set = setOf(event);
  if (commandName === 'find') {
    const filter = (command.filter as Document | undefined) ?? {};
    if (filter.status === 'pending' || filter.claimToken !== undefined) return 'claim';
    if (filter.status === 'processing') return 'recovery';
    return 'other';
  }
  if (commandName === 'findAndModify') return set.status === 'processing' ? 'claim' : 'enqueue';
  if (commandName === 'update') {
    if (set.status === 'processing') return 'claim';
    if (set.status !== undefined) return 'completion';
    if (set.lockedAt !== undefined) return 'heartbeat';
  }
  if (commandName === 'delete') return 'retention';
  return 'other';
};

/** Agenda: claim = findAndModify locking one job; run start and completion = `saveJobState` updates. */
export const agendaPurpose: CommandClassifier = (event: CommandStartedEvent): CommandPurpose => {
  const { commandName, command } = event;
  if (SETUP.has(commandName)) return 'setup';
  if (commandName === 'insert') return 'enqueue';
  const set = setOf(event);
  if (commandName === 'findAndModify') {
    const query = (command.query as Document | undefined) ?? {};
    return query.$or !== undefined ? 'claim' : 'enqueue';
  }
  if (commandName === 'update') {
    if (set.lastFinishedAt instanceof Date) return 'completion';
    if (set.lastRunAt instanceof Date) return 'run-start';
    if (set.lockedAt instanceof Date) return 'heartbeat';
  }
  return 'other';
};

/** The classifier of a library, by label (child processes get the label over IPC). */
export function classifierFor(label: 'Monque' | 'Agenda'): CommandClassifier {
  return label === 'Monque' ? monquePurpose : agendaPurpose;
}

/** Command names that write. */
export const WRITE_COMMANDS: ReadonlySet<string> = new Set(['insert', 'update', 'delete', 'findAndModify']);
