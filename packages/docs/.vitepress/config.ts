import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DefaultTheme } from 'vitepress';
import { defineConfig } from 'vitepress';
import { MermaidMarkdown } from 'vitepress-plugin-mermaid';

/** Where the site is published: GitHub Pages of the monque/monque repository. */
export const DOCS_URL = 'https://monque.github.io/monque/';

/**
 * The path the site is served under: `/monque/` (GitHub Pages), or `DOCS_BASE` when set
 * (`DOCS_BASE=/ npm run docs:build` for a site served at the root).
 */
function siteBase(): string {
  const base = process.env.DOCS_BASE?.trim() || new URL(DOCS_URL).pathname;
  return `/${base.replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');
}

/** The sidebar TypeDoc writes next to the generated reference (absent until `npm run build:api`). */
function apiReferenceSidebar(): DefaultTheme.SidebarItem[] {
  const file = fileURLToPath(new URL('../api/reference/typedoc-sidebar.json', import.meta.url));
  if (!existsSync(file)) return [];
  return JSON.parse(readFileSync(file, 'utf8')) as DefaultTheme.SidebarItem[];
}

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'Getting started',
    items: [
      { text: 'Installation', link: '/getting-started/installation' },
      { text: 'Quickstart', link: '/getting-started/quickstart' },
      { text: 'Configuration', link: '/getting-started/configuration' },
    ],
  },
  {
    text: 'Guides',
    items: [
      { text: 'Job scheduling', link: '/guides/job-scheduling' },
      { text: 'Per-job options', link: '/guides/per-job-options' },
      { text: 'Workflows', link: '/guides/workflows' },
      { text: 'Error handling and retries', link: '/guides/error-handling' },
      { text: 'Operating the queue', link: '/guides/operating-the-queue' },
      { text: 'Dashboard and CLI', link: '/guides/dashboard' },
      { text: 'Graceful shutdown', link: '/guides/graceful-shutdown' },
      { text: 'NestJS integration', link: '/guides/nestjs' },
      { text: 'Ts.ED integration', link: '/guides/tsed-integration' },
      { text: 'Job states', link: '/guides/job-states' },
      { text: 'How it works, and faults', link: '/guides/how-it-works' },
      { text: 'Observability', link: '/guides/observability' },
      { text: 'Production checklist', link: '/guides/production-checklist' },
    ],
  },
  {
    text: 'Examples',
    items: [
      { text: 'Basic usage', link: '/examples/basic-usage' },
      { text: 'Unique jobs', link: '/examples/unique-jobs' },
      { text: 'Recurring jobs', link: '/examples/recurring-jobs' },
      { text: 'Errors and retries', link: '/examples/error-retry' },
    ],
  },
];

const api: DefaultTheme.SidebarItem[] = [
  {
    text: 'API',
    items: [
      { text: 'Monque class', link: '/api/monque-class' },
      { text: 'Job', link: '/api/job-interface' },
      { text: 'Events', link: '/api/events' },
      { text: 'Ts.ED decorators', link: '/api/decorators' },
    ],
  },
  { text: 'Generated reference', link: '/api/reference/', items: apiReferenceSidebar(), collapsed: false },
];

/**
 * The documentation site. Builds offline: the default theme's fonts are bundled, search is the
 * local (in-browser) index, diagrams are drawn in the browser by the bundled Mermaid, and there is
 * no analytics or other third-party script.
 *
 * Mermaid: the plugin's Markdown rule turns each ```mermaid block into a `<Mermaid>` element;
 * the theme's own component (theme/mermaid-diagram.ts) draws it, loading Mermaid only on a page
 * that has a diagram. (The plugin's `withMermaid` would put Mermaid, about 2 MB, on every page.)
 */
export default defineConfig({
  title: 'Monque',
  base: siteBase(),
  description: 'A MongoDB-backed job scheduler for Node.js',
  lang: 'en-US',
  cleanUrls: false,
  lastUpdated: false,
  srcExclude: ['README.md', 'snippets/**', 'tests/**'],
  // Mermaid's diagram types are split into chunks of up to ~700 kB, loaded only when drawn.
  vite: { build: { chunkSizeWarningLimit: 1000 } },
  markdown: {
    config: (md) => {
      md.use(MermaidMarkdown);
    },
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/getting-started/quickstart' },
      { text: 'API', link: '/api/monque-class' },
      { text: 'Examples', link: '/examples/basic-usage' },
    ],
    sidebar: {
      '/getting-started/': guide,
      '/guides/': guide,
      '/examples/': guide,
      '/api/': api,
    },
    search: { provider: 'local' },
    outline: { level: [2, 3] },
    socialLinks: [{ icon: 'github', link: 'https://github.com/monque/monque' }],
  },
});
