/**
 * The built package (dist/, as published) on NestJS 11 and 12, through require() and through
 * import: a plain-JavaScript application (tests/compat/) is copied into a new directory whose
 * node_modules holds one NestJS major (11 from tools/nest11, 12 from the repository) and a copy of
 * @monque/nestjs, then run with node.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTestUri } from '@monque/test-backend';
import { afterAll, describe, expect, it } from 'vitest';
import { startProgram, usePrograms } from './helpers/child.js';

const repository = fileURLToPath(new URL('../../../', import.meta.url));
const NEST_DIRS = {
  11: join(repository, 'tools/nest11/node_modules/@nestjs'),
  12: join(repository, 'node_modules/@nestjs'),
} as const;
const dirs: string[] = [];

usePrograms();
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A project with NestJS `major`, the repository's driver and core, and a copy of the built @monque/nestjs. */
async function project(major: keyof typeof NEST_DIRS): Promise<string> {
  if (!existsSync(join(repository, 'packages/nestjs/dist/index.mjs'))) {
    throw new Error('@monque/nestjs is not built: run `npx turbo run build` first (this test runs the build)');
  }
  const dir = await mkdtemp(join(tmpdir(), `monque-nest${major}-`));
  dirs.push(dir);
  const modules = join(dir, 'node_modules');
  await mkdir(join(modules, '@nestjs'), { recursive: true });
  await mkdir(join(modules, '@monque/nestjs'), { recursive: true });
  for (const name of ['common', 'core', 'platform-express']) {
    await symlink(join(NEST_DIRS[major], name), join(modules, '@nestjs', name), 'dir');
  }
  for (const name of ['mongodb', 'reflect-metadata', 'rxjs', '@monque/core']) {
    await symlink(join(repository, 'node_modules', name), join(modules, name), 'dir');
  }
  // A copy, not a link: Node resolves a linked package's imports from where it really is (the
  // repository, whose @nestjs is 12); an installed package resolves them from the project.
  for (const entry of ['package.json', 'dist']) {
    await cp(join(repository, 'packages/nestjs', entry), join(modules, '@monque/nestjs', entry), { recursive: true });
  }
  await cp(fileURLToPath(new URL('./compat/', import.meta.url)), dir, { recursive: true });
  return dir;
}

describe.each([11, 12] as const)('NestJS %i', (major) => {
  it.each(['smoke.cjs', 'smoke.mjs'])(
    '%s: processors, scopes, events and shutdown work with the built package',
    async (script) => {
      const dir = await project(major);
      const program = startProgram(dir, [script], { MONGODB_URI: getTestUri() });
      const line = await program.waitFor(/SMOKE_RESULT (.*)/, 60_000);
      expect(await program.exited).toEqual({ code: 0, signal: null });
      const summary = JSON.parse(line) as Record<string, unknown>;
      expect(summary).toEqual({
        build: expect.stringMatching(script === 'smoke.cjs' ? /dist[/\\]index\.cjs$/ : /dist\/index\.mjs$/),
        nest: expect.stringMatching(new RegExp(`^${major}\\.`)),
        greet: 'hello Ada',
        scoped: [
          { serial: expect.any(Number), jobRefIsTheJob: true },
          { serial: expect.any(Number), jobRefIsTheJob: true },
        ],
        heard: ['greet', 'scoped', 'scoped', 'slow'],
        slowAfterClose: 'completed',
        runningAfterClose: false,
      });
      const [first, second] = summary.scoped as { serial: number }[];
      expect(first?.serial).not.toBe(second?.serial);
    },
  );
});
