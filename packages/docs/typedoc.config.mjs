// @ts-check
/**
 * TypeDoc configuration of the generated API reference (Markdown for VitePress, written to
 * `api/reference/`, which is gitignored and rebuilt by `npm run build`). Documents the public
 * entry point of each library: `@monque/core`, `@monque/tsed` and `@monque/nestjs`.
 *
 * `@monque/tsed` and `@monque/nestjs` re-export `@monque/core`: TypeDoc reads core's source for
 * them (the `paths` below), not its built `dist/`, so the reference is the same whether or not the
 * packages were built first (on a fresh clone, `npm test` builds the site before anything else).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const packagePath = (name) => fileURLToPath(new URL(`../${name}`, import.meta.url));
const documented = ['core', 'tsed', 'nestjs'].filter((name) => existsSync(`${packagePath(name)}/src/index.ts`));

/** @type {Partial<import('typedoc').TypeDocOptions & import('typedoc-plugin-markdown').PluginOptions & Record<string, unknown>>} */
const config = {
  plugin: ['typedoc-plugin-markdown', 'typedoc-vitepress-theme'],
  entryPointStrategy: 'packages',
  entryPoints: documented.map(packagePath),
  packageOptions: {
    entryPoints: ['src/index.ts'],
    tsconfig: 'tsconfig.json',
    skipErrorChecking: true,
    excludePrivate: true,
    excludeInternal: true,
    excludeExternals: true,
    readme: 'none',
    disableGit: true,
    disableSources: true,
    compilerOptions: { paths: { '@monque/core': [`${packagePath('core')}/src/index.ts`] } },
  },
  name: 'API reference',
  out: 'api/reference',
  docsRoot: '.',
  readme: 'none',
  githubPages: false,
  disableGit: true,
  hideGenerator: true,
  disableSources: true,
  excludePrivate: true,
  skipErrorChecking: true,
  useCodeBlocks: true,
  parametersFormat: 'table',
  interfacePropertiesFormat: 'table',
  enumMembersFormat: 'table',
  typeDeclarationFormat: 'table',
  sidebar: { autoConfiguration: true, format: 'vitepress', pretty: true, collapsed: true },
  logLevel: 'Warn',
};

export default config;
