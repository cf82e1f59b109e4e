import { freshCollectionName } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Monque, type QueuePauseEvent } from '../../src/index.js';
import { isNamePaused, PauseStore } from '../../src/store/pause-store.js';
import { createOpsMonque, useOperationsDb } from './helpers.js';

const getDb = useOperationsDb(import.meta.url);

function pauseEvents(monque: Monque): string[] {
  const seen: string[] = [];
  const record = (kind: string) => (event: QueuePauseEvent) => seen.push(`${kind} ${event.name ?? '*'}`);
  monque.on('queue:paused', record('paused'));
  monque.on('queue:resumed', record('resumed'));
  return seen;
}

describe('isNamePaused', () => {
  it('a name is paused when everything is, or when it is listed', () => {
    expect(isNamePaused('all', 'a')).toBe(true);
    expect(isNamePaused(['a', 'b'], 'b')).toBe(true);
    expect(isNamePaused(['a', 'b'], 'c')).toBe(false);
    expect(isNamePaused([], 'a')).toBe(false);
  });
});

describe('pause / resume / getPaused', () => {
  it('is shared by every instance on the collection, and the caller emits the events', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const one = createOpsMonque(db, { collectionName });
    const two = createOpsMonque(db, { collectionName });
    const oneEvents = pauseEvents(one);
    const twoEvents = pauseEvents(two);
    expect(await two.getPaused()).toEqual([]);

    await one.pause('mail');
    await one.pause('export');
    await one.pause('mail'); // pausing twice is harmless
    expect(await two.getPaused()).toEqual(['export', 'mail']);

    await two.resume('mail');
    expect(await one.getPaused()).toEqual(['export']);

    await two.pause();
    expect(await one.getPaused()).toBe('all');
    // Resuming one name while everything is paused leaves everything paused.
    await one.resume('export');
    expect(await one.getPaused()).toBe('all');
    await two.pause('mail');
    await one.resume();
    expect(await two.getPaused()).toEqual([]);

    expect(oneEvents).toEqual(['paused mail', 'paused export', 'paused mail', 'resumed export', 'resumed *']);
    expect(twoEvents).toEqual(['resumed mail', 'paused *', 'paused mail']);
  });

  it('survives a restart: a new instance reads what an earlier one paused', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const first = createOpsMonque(db, { collectionName });
    await first.start();
    await first.pause('reports');
    await first.stop();
    const second = createOpsMonque(db, { collectionName });
    expect(await second.getPaused()).toEqual(['reports']);
    expect(await new PauseStore(db, collectionName).read()).toEqual(['reports']);
    // Another collection has its own pause state.
    expect(await createOpsMonque(db).getPaused()).toEqual([]);
  });

  it('concurrent pauses of one name from several instances store it once', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const instances = [1, 2, 3, 4].map(() => createOpsMonque(db, { collectionName }));
    await Promise.all(instances.map((monque) => monque.pause('busy')));
    const store = new PauseStore(db, collectionName);
    expect(await store.collection.countDocuments({})).toBe(1);
    expect(await store.read()).toEqual(['busy']);
  });

  it('refuses a bad name, naming it, and stores nothing', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    for (const bad of ['', '  ', { $ne: null }, 42, null]) {
      for (const call of [() => monque.pause(bad as never), () => monque.resume(bad as never)]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).argument).toBe('name');
      }
    }
    expect(await monque.getPaused()).toEqual([]);
  });
});
