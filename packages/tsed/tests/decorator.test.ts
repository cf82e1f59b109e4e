import { Store } from '@tsed/core';
import { Injectable, Provider, ProviderScope, Scope } from '@tsed/di';
import { describe, expect, it } from 'vitest';
import { getJobOptions, JOB_METADATA_KEY, Job, MONQUE_JOB_PROVIDER_TYPE } from '../src/index.js';

@Injectable()
class Clock {}

@Job({ name: 'reindex', concurrency: 3, cron: '*/5 * * * *', data: { full: false } })
class ReindexJob {
  constructor(readonly clock: Clock) {}
  handle(): void {}
}

@Job({ name: 'kept', scope: ProviderScope.SINGLETON })
class KeptJob {
  handle(): void {}
}

@Job({ name: 'scoped-by-decorator' })
@Scope(ProviderScope.INSTANCE)
class ScopedByDecoratorJob {
  handle(): void {}
}

describe('@Job', () => {
  it('stores its options under JOB_METADATA_KEY', () => {
    const options = { name: 'reindex', concurrency: 3, cron: '*/5 * * * *', data: { full: false } };
    expect(Store.from(ReindexJob).get(JOB_METADATA_KEY)).toEqual(options);
    expect(getJobOptions(ReindexJob)).toEqual(options);
    expect(getJobOptions(Clock)).toBeUndefined();
  });

  it('registers the class as an injectable of the Monque job provider type, request-scoped by default', () => {
    const provider = Provider.Registry.get(ReindexJob);
    expect(provider?.type).toBe(MONQUE_JOB_PROVIDER_TYPE);
    expect(provider?.scope).toBe(ProviderScope.REQUEST);
    expect(provider?.useClass).toBe(ReindexJob);
  });

  it('honours a scope given in the options or with @Scope', () => {
    expect(Provider.Registry.get(KeptJob)?.scope).toBe(ProviderScope.SINGLETON);
    expect(Provider.Registry.get(ScopedByDecoratorJob)?.scope).toBe(ProviderScope.INSTANCE);
  });

  it('keeps the constructor metadata that constructor injection needs', () => {
    expect(Reflect.getMetadata('design:paramtypes', ReindexJob)).toEqual([Clock]);
  });
});
