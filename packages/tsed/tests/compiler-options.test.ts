/**
 * Why the guide asks for `useDefineForClassFields: false`: the same job class, compiled both ways
 * (with SWC, as the test runner compiles), run through the module.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transform } from '@swc/core';
import { afterAll, describe, expect, it } from 'vitest';
import { Job } from '../src/index.js';
import { boot, forgetAfterTest, monqueSettings, nextEvent, useTestApp } from './helpers/app.js';

const getDb = useTestApp(import.meta.url);
// Under this package's node_modules, so that the compiled files resolve '@tsed/di' and '@monque/tsed'
// like application code does (and git never sees them).
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.cache', 'compiler-options-test');

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

/**
 * A job class whose service is injected with `@Inject()`. `@Job` is applied by the test (the
 * compiled file can only import packages, and '@monque/tsed' is this package's source here).
 */
const source = (suffix: string): string => `
import { Inject, Injectable } from '@tsed/di';

@Injectable()
export class Greeter${suffix} {
  greet(name: string): string {
    return 'hello ' + name;
  }
}

export class GreetJob${suffix} {
  @Inject()
  greeter!: Greeter${suffix};

  handle(data: { name: string }): string {
    return this.greeter.greet(data.name);
  }
}
`;

/** Compiles `source` with Ts.ED's decorator settings and the given `useDefineForClassFields`, and loads it. */
async function compileAndLoad(suffix: string, useDefineForClassFields: boolean): Promise<Record<string, unknown>> {
  const { code } = await transform(source(suffix), {
    filename: `${suffix}.ts`,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields },
      target: 'es2022',
    },
    module: { type: 'es6' },
  });
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `${suffix}.mjs`);
  await writeFile(file, code);
  return import(/* @vite-ignore */ pathToFileURL(file).href);
}

describe('compiler options', () => {
  it('useDefineForClassFields: false injects the @Inject() field; true leaves it undefined and the run fails', async () => {
    const legacy = await compileAndLoad('Legacy', false);
    const define = await compileAndLoad('Define', true);
    Job({ name: 'greet-legacy' })(legacy.GreetJobLegacy as new () => unknown);
    Job({ name: 'greet-define' })(define.GreetJobDefine as new () => unknown);
    forgetAfterTest(legacy.GreetJobLegacy as never, define.GreetJobDefine as never);
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db, { maxRetries: 1 }) });

    const completed = nextEvent(monque, 'job:complete');
    await monque.enqueue('greet-legacy', { name: 'Ada' });
    expect((await completed).job.name).toBe('greet-legacy');

    const failed = nextEvent(monque, 'job:fail');
    await monque.enqueue('greet-define', { name: 'Alan' });
    const { error } = await failed;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/Cannot read properties of undefined \(reading 'greet'\)/);
  });
});
