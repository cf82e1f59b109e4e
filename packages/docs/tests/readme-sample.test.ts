/**
 * The root README's "Use it" sample in a fresh project with `{"type": "module"}`: it type-checks
 * (module NodeNext, strict). It is type-checked, not run: it uses `sendEmail`, `tomorrow`, `users`
 * and `log`, which the README says stand for the reader's own code; here they are declared as
 * stubs (the quickstart is the program that runs as copied). `@monque/core` is the workspace's
 * source, through `paths`. Under `{"type": "commonjs"}` (what `npm init` writes) the same file must
 * fail on its top-level `await`, which is why the README asks for an ES module.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const README = new URL('../../../README.md', import.meta.url);
const CORE_SOURCE = fileURLToPath(new URL('../../core/src/index.ts', import.meta.url));
const NODE_TYPES = dirname(dirname(require.resolve('@types/node/package.json')));

const STUBS = `// The README's placeholders for the reader's own code.
declare function sendEmail(to: string): Promise<void>;
declare const tomorrow: Date;
declare const users: { id: number }[];
declare const log: { warn(...args: unknown[]): void };
`;

/** The first \`\`\`ts block of the README's "## Use it" section. */
function useItSample(readme: string): string {
  const section = readme.split(/^## /m).find((part) => part.startsWith('Use it\n'));
  if (!section) throw new Error('README.md has no "## Use it" section');
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('the "Use it" section has no ```ts block');
  return block;
}

/** Type-checks sample.ts + stubs.d.ts in `dir`; returns the diagnostics of those two files. */
function typeCheck(dir: string): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [NODE_TYPES],
    paths: { '@monque/core': [CORE_SOURCE] },
  };
  const program = ts.createProgram([join(dir, 'sample.ts'), join(dir, 'stubs.d.ts')], options);
  // Only these two files are checked (the core source has its own typecheck).
  const files = program.getSourceFiles().filter((file) => file.fileName.startsWith(dir));
  return [
    ...program.getOptionsDiagnostics(),
    ...files.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ].map((diagnostic) => {
    const where = diagnostic.file?.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    return `${diagnostic.file?.fileName.slice(dir.length + 1)}:${(where?.line ?? 0) + 1} TS${diagnostic.code}: ${message}`;
  });
}

describe("the README's usage sample", () => {
  let sample: string;
  let readme: string;
  const dirs: string[] = [];

  /** A fresh project: package.json of the given type, the sample, the stubs, and `mongodb`. */
  async function project(type: 'module' | 'commonjs'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `monque-readme-${type}-`));
    dirs.push(dir);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fresh', type }));
    await writeFile(join(dir, 'sample.ts'), sample);
    await writeFile(join(dir, 'stubs.d.ts'), STUBS);
    await mkdir(join(dir, 'node_modules'));
    await symlink(dirname(require.resolve('mongodb/package.json')), join(dir, 'node_modules', 'mongodb'), 'dir');
    return dir;
  }

  beforeAll(async () => {
    readme = await readFile(README, 'utf8');
    sample = useItSample(readme);
  });

  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('says it needs an ES module', () => {
    expect(readme).toContain('"type": "module"');
  });

  it('type-checks in a fresh project with {"type": "module"}', async () => {
    expect(typeCheck(await project('module'))).toEqual([]);
  });

  it('fails under {"type": "commonjs"}, on its top-level await', async () => {
    const diagnostics = typeCheck(await project('commonjs'));
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(
      diagnostics.every((line) => line.startsWith('sample.ts:') && /await/.test(line)),
      diagnostics.join('\n'),
    ).toBe(true);
  });
});
