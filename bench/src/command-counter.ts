/**
 * Counts the commands a MongoClient sends (driver command monitoring, `monitorCommands: true`),
 * by command name and by purpose. The purpose comes from a per-library classifier that reads the
 * command; a claim that came back empty is counted as a poll.
 */
import type { CommandStartedEvent, CommandSucceededEvent, Document, MongoClient } from 'mongodb';

/** What a command was for. */
export type CommandPurpose =
  | 'enqueue'
  | 'claim'
  | 'poll'
  | 'run-start'
  | 'completion'
  | 'heartbeat'
  | 'recovery'
  | 'retention'
  | 'bookkeeping'
  | 'workflow'
  | 'setup'
  | 'other';

/** Reads a command and says what it was for. */
export type CommandClassifier = (event: CommandStartedEvent) => CommandPurpose;

/** Counts so far. */
export interface CommandCounts {
  total: number;
  byName: Record<string, number>;
  byPurpose: Partial<Record<CommandPurpose, number>>;
  /** Commands classified `other`, by shape (command, collection, the keys of its filter/update), to name them. */
  otherShapes: Record<string, number>;
}

/** The keys of a document, nested one level (values left out). */
function keysOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  return Object.entries(value as Document)
    .map(([key, inner]) =>
      typeof inner === 'object' && inner !== null && !Array.isArray(inner)
        ? `${key}{${Object.keys(inner).join(',')}}`
        : key,
    )
    .join(',');
}

/** A short description of a command's shape: name, collection, filter keys, update keys. */
export function shapeOf(event: CommandStartedEvent): string {
  const { command, commandName } = event;
  const statement =
    (command.updates as Document[] | undefined)?.[0] ?? (command.deletes as Document[] | undefined)?.[0];
  const filter = command.filter ?? command.query ?? statement?.q;
  const update = command.update ?? statement?.u;
  const collection = typeof command[commandName] === 'string' ? command[commandName] : '';
  return `${commandName} ${collection} filter {${keysOf(filter)}}${update ? ` update {${keysOf(update)}}` : ''}`;
}

function firstUpdate(command: Document): Document {
  const updates = command.updates as Document[] | undefined;
  const update = updates?.[0]?.u as Document | undefined;
  return update ?? {};
}

/** The `$set` of a `findAndModify` or of the first statement of an `update` command. */
export function setOf(event: CommandStartedEvent): Document {
  const update =
    event.commandName === 'findAndModify' ? (event.command.update as Document) : firstUpdate(event.command);
  return (update?.$set as Document | undefined) ?? {};
}

function cameBackEmpty(event: CommandSucceededEvent): boolean {
  const reply = event.reply as Document;
  if (event.commandName === 'find') return (reply.cursor?.firstBatch as unknown[] | undefined)?.length === 0;
  if (event.commandName === 'findAndModify') return reply.value === null;
  if (event.commandName === 'update') return reply.nModified === 0;
  return false;
}

/** Counts of nothing. */
export function emptyCounts(): CommandCounts {
  return { total: 0, byName: {}, byPurpose: {}, otherShapes: {} };
}

/** Counts the commands of one client while enabled. */
export class CommandCounter {
  private counts: CommandCounts = emptyCounts();
  private readonly claims = new Set<number>();
  private classify: CommandClassifier | undefined;

  constructor(client: MongoClient) {
    client.on('commandStarted', (event) => this.started(event));
    client.on('commandSucceeded', (event) => this.succeeded(event));
  }

  /** Starts counting from zero with `classify`. */
  start(classify: CommandClassifier): void {
    this.classify = classify;
    this.counts = emptyCounts();
    this.claims.clear();
  }

  /** Stops counting and returns the counts. */
  stop(): CommandCounts {
    this.classify = undefined;
    return this.counts;
  }

  private add(purpose: CommandPurpose, delta: number): void {
    this.counts.byPurpose[purpose] = (this.counts.byPurpose[purpose] ?? 0) + delta;
  }

  private started(event: CommandStartedEvent): void {
    if (!this.classify) return;
    const purpose = this.classify(event);
    this.counts.total += 1;
    this.counts.byName[event.commandName] = (this.counts.byName[event.commandName] ?? 0) + 1;
    this.add(purpose, 1);
    if (purpose === 'other') {
      const shape = shapeOf(event).replace(/bench_\w+?_\d+_\d+/g, '<collection>');
      this.counts.otherShapes[shape] = (this.counts.otherShapes[shape] ?? 0) + 1;
    }
    if (purpose === 'claim') this.claims.add(event.requestId);
  }

  private succeeded(event: CommandSucceededEvent): void {
    if (!this.claims.delete(event.requestId) || !this.classify) return;
    if (cameBackEmpty(event)) {
      this.add('claim', -1);
      this.add('poll', 1);
    }
  }
}
