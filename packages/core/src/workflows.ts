/**
 * The parts of workflows (dependencies, flows, dead letters) one instance shares between its
 * producer, its operations and its engine.
 */
import type { Collection } from 'mongodb';
import { DependencyRelease } from './engine/dependency-release.js';
import { expiryOf } from './engine/outcome.js';
import type { MonqueEventEmitter } from './events.js';
import type { Clock } from './monque-options.js';
import type { ResolvedRetention } from './options.js';
import { DeadLetterStore } from './store/dead-letter-store.js';
import { DependencyStore, type ExpiryOf } from './store/dependency-store.js';
import { FlowStore } from './store/flow-store.js';
import type { InsertStore } from './store/insert-store.js';
import type { JobDocument } from './store/job-document.js';
import type { ObjectIds } from './store/object-ids.js';

/** The workflow parts of one instance. */
export interface Workflows {
  readonly store: DependencyStore;
  readonly release: DependencyRelease;
  readonly deadLetters: DeadLetterStore;
  readonly flows: FlowStore;
  readonly inserts: InsertStore;
  readonly ids: ObjectIds;
}

/** What the workflow parts are built from. */
export interface WorkflowsSource {
  readonly collection: Collection<JobDocument>;
  readonly inserts: InsertStore;
  readonly ids: ObjectIds;
  readonly clock: Clock;
  readonly events: MonqueEventEmitter;
  readonly retention: ResolvedRetention | false;
  /** Dependents of `name` became `pending`, due at `at`. */
  readonly onReleased: (name: string, at: Date) => void;
}

/** Builds the workflow parts of one instance. */
export function createWorkflows(source: WorkflowsSource): Workflows {
  const { collection, inserts, ids, clock, events, retention, onReleased } = source;
  const expiry: ExpiryOf = (status, at) => expiryOf(status, at, retention);
  const store = new DependencyStore(collection, expiry);
  return {
    store,
    release: new DependencyRelease({ store, clock, events, onReleased }),
    deadLetters: new DeadLetterStore(collection, expiry),
    flows: new FlowStore(collection),
    inserts,
    ids,
  };
}
