/**
 * Flow control: a rate-limited API that answers 429, per-tenant imports with groups, and what
 * operators see. `tests/flow-control.test.ts` runs these functions against a server.
 */
import { type Monque, RateLimitError } from '@monque/core';

/** What the geocoding API gives back. */
export interface Place {
  lat: number;
  lon: number;
}

/** The geocoder worker: 100 calls a minute across every instance, and a pause when the API says 429. */
export function registerGeocoder(monque: Monque, apiUrl: string): void {
  // #region rate-limit
  monque.worker<{ address: string }>(
    'geocode',
    async (job, { signal }) => {
      const response = await fetch(`${apiUrl}/geocode?q=${encodeURIComponent(job.data.address)}`, { signal });
      if (response.status === 429) {
        // "Too many requests": come back when the API says, without using up an attempt. Until
        // then no instance starts another geocode job.
        const seconds = Number(response.headers.get('retry-after') ?? 30);
        throw new RateLimitError(seconds * 1000);
      }
      if (!response.ok) throw new Error(`geocoding failed: HTTP ${response.status}`);
      return (await response.json()) as Place;
    },
    {
      concurrency: 10, // per instance
      globalConcurrency: 20, // all instances together
      rateLimit: { max: 100, duration: 60_000 }, // at most 100 starts in any minute, all instances together
    },
  );
  // #endregion rate-limit
}

/** Per-tenant imports: two at a time per tenant, and tenants take turns. */
export async function registerImports(
  monque: Monque,
  importFile: (tenant: string, file: string) => Promise<void>,
): Promise<void> {
  // #region groups
  monque.worker<{ tenant: string; file: string }>('import-file', (job) => importFile(job.data.tenant, job.data.file), {
    concurrency: 8,
    groupConcurrency: 2, // per tenant, all instances together
  });

  // One tenant uploads 500 files, another one: the second one's file starts within two claims,
  // not after the 500.
  await monque.enqueueMany(
    Array.from({ length: 500 }, (_, n) => ({
      name: 'import-file',
      data: { tenant: 'acme', file: `batch-${n}.csv` },
      options: { group: 'tenant:acme' },
    })),
  );
  await monque.enqueue('import-file', { tenant: 'globex', file: 'one.csv' }, { group: 'tenant:globex' });
  // #endregion groups
}

/** What an operator sees of the imports. */
export async function inspectImports(monque: Monque) {
  // #region inspect
  const stats = await monque.getStats();
  const imports = stats.byName['import-file'];
  // limited: due jobs the limits hold back now; limits: what the workers run with.
  console.log(imports?.due, imports?.limited, imports?.limits); // e.g. 498 498 { groupConcurrency: 2 }

  // The busiest tenants: running and due jobs, and how many of them wait on a limit.
  const busiest = await monque.getGroupStats('import-file', { limit: 5 });
  // [{ group: 'tenant:acme', pending: 498, due: 498, processing: 2, limited: 498 },
  //  { group: 'tenant:globex', pending: 0, due: 0, processing: 1, limited: 0 }]

  // One tenant's jobs.
  const { jobs } = await monque.getJobs({ name: 'import-file', group: 'tenant:globex' });
  // #endregion inspect
  return { imports, busiest, jobs };
}
