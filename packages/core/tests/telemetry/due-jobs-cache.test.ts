/**
 * The cache behind the due-jobs gauge: at most one query per `maxAge`, one at a time, names that
 * emptied reported as 0, nothing reported after a failure or while the source reports nothing.
 */
import { describe, expect, it } from 'vitest';
import { DUE_JOBS_MAX_AGE, DueJobsCache } from '../../src/telemetry/due-jobs.js';
import { deferred } from '../helpers/monque.js';

function clock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('DueJobsCache', () => {
  it('queries once per maxAge (default 30 s), however often it is read', async () => {
    const time = clock();
    let queries = 0;
    const cache = new DueJobsCache(
      async () => {
        queries += 1;
        return new Map([['email', queries]]);
      },
      undefined,
      time.now,
    );
    expect(DUE_JOBS_MAX_AGE).toBe(30_000);
    expect([...(await cache.read())]).toEqual([['email', 1]]);
    time.advance(29_999);
    expect([...(await cache.read())]).toEqual([['email', 1]]);
    expect(queries).toBe(1);
    time.advance(1);
    expect([...(await cache.read())]).toEqual([['email', 2]]);
    expect(queries).toBe(2);
  });

  it('runs one refresh at a time: concurrent reads share it', async () => {
    const answer = deferred<Map<string, number>>();
    let queries = 0;
    const cache = new DueJobsCache(() => {
      queries += 1;
      return answer.promise;
    }, 1_000);
    const reads = [cache.read(), cache.read(), cache.read()];
    answer.resolve(new Map([['sms', 4]]));
    expect((await Promise.all(reads)).map((figures) => figures.get('sms'))).toEqual([4, 4, 4]);
    expect(queries).toBe(1);
  });

  it('reports 0 for a name that had due jobs and has none now', async () => {
    const time = clock();
    const answers = [
      new Map([
        ['email', 3],
        ['sms', 1],
      ]),
      new Map([['sms', 2]]),
    ];
    const cache = new DueJobsCache(async () => answers.shift() as Map<string, number>, 10, time.now);
    await cache.read();
    time.advance(10);
    expect([...(await cache.read())]).toEqual([
      ['email', 0],
      ['sms', 2],
    ]);
  });

  it('reports nothing after a failed count (thrown or rejected), and tries again after maxAge', async () => {
    const time = clock();
    const answers: (() => Promise<Map<string, number>>)[] = [
      async () => new Map([['email', 3]]),
      () => Promise.reject(new Error('server gone')),
      () => {
        throw new Error('client closed');
      },
      async () => new Map([['email', 5]]),
    ];
    const cache = new DueJobsCache(() => (answers.shift() as () => Promise<Map<string, number>>)(), 10, time.now);
    expect((await cache.read()).size).toBe(1);
    time.advance(10);
    expect((await cache.read()).size).toBe(0);
    expect((await cache.read()).size).toBe(0);
    time.advance(10);
    expect((await cache.read()).size).toBe(0);
    time.advance(10);
    expect([...(await cache.read())]).toEqual([['email', 5]]);
  });

  it('reports nothing while the source has nothing to report (a stopped instance)', async () => {
    const cache = new DueJobsCache(() => undefined, 0);
    expect((await cache.read()).size).toBe(0);
  });

  it('gives up on a count that never answers (a silent server): no figures, and the next read tries again', async () => {
    const time = clock();
    const answers: (() => Promise<Map<string, number>>)[] = [
      () => new Promise(() => {}),
      async () => new Map([['email', 2]]),
    ];
    const cache = new DueJobsCache(() => (answers.shift() as () => Promise<Map<string, number>>)(), 10, time.now, 50);
    expect((await cache.read()).size).toBe(0);
    time.advance(10);
    expect([...(await cache.read())]).toEqual([['email', 2]]);
  });
});
