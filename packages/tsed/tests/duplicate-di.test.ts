/**
 * Two copies of `@tsed/di` in one process: the application's injector builds `Monque` without
 * `@monque/tsed`'s provider. The second copy is a real one: the package's files copied to a
 * temporary `node_modules`, its own peers (`@tsed/core`, `@tsed/hooks`, `@tsed/logger`) linked to
 * the ones installed, as a package manager that could not dedupe `@tsed/di` would lay them out.
 */
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DUPLICATE_DI_MESSAGE, Monque, MonqueConfigurationCode, MonqueConfigurationError } from '../src/index.js';
import { boot, monqueSettings, useTestApp } from './helpers/app.js';

const getDb = useTestApp(import.meta.url);
let copyRoot: string | undefined;

afterAll(async () => {
  if (copyRoot) await rm(copyRoot, { recursive: true, force: true });
});

/** Loads a second, separate copy of `@tsed/di`. */
async function loadSecondDiCopy(): Promise<typeof import('@tsed/di')> {
  const installed = join(dirname(createRequire(import.meta.url).resolve('@tsed/di')), '..', '..');
  copyRoot = await mkdtemp(join(tmpdir(), 'monque-di-copy-'));
  const scope = join(copyRoot, 'node_modules', '@tsed');
  await mkdir(scope, { recursive: true });
  await cp(installed, join(scope, 'di'), { recursive: true, dereference: true });
  for (const peer of ['core', 'hooks', 'logger']) await symlink(join(installed, '..', peer), join(scope, peer), 'dir');
  const entry = join(scope, 'di', 'lib', 'esm', 'index.js');
  return (await import(/* @vite-ignore */ pathToFileURL(entry).href)) as typeof import('@tsed/di');
}

describe('two copies of @tsed/di', () => {
  it("the application's injector building Monque fails with DUPLICATE_DI and says what to do", async () => {
    const db = await getDb();
    // Our own copy builds Monque through the module's factory.
    expect(await boot({ monque: monqueSettings(db) })).toBeInstanceOf(Monque);

    const appDi = await loadSecondDiCopy();
    expect(appDi.injector).not.toBe((await import('@tsed/di')).injector);
    await appDi.DITest.create({ monque: monqueSettings(db) });
    try {
      let thrown: unknown;
      try {
        appDi.inject(Monque);
      } catch (error) {
        thrown = error;
      }
      // Ts.ED wraps it in its InjectionError, which keeps ours as `origin` and in the message.
      const origin = (thrown as { origin?: unknown } | undefined)?.origin;
      expect(origin).toBeInstanceOf(MonqueConfigurationError);
      expect((origin as MonqueConfigurationError).configCode).toBe(MonqueConfigurationCode.DUPLICATE_DI);
      expect((thrown as Error).message).toContain('two copies of @tsed/di');
      expect((thrown as Error).message).toContain('npm ls @tsed/di');
      expect(DUPLICATE_DI_MESSAGE).toContain('db: expected a MongoDB Db, got undefined');
    } finally {
      await appDi.DITest.reset();
    }
  });
});
