/**
 * Reading the built documentation site (`.vitepress/dist`, what `npm run docs:build` writes and
 * what is published): a page's HTML, and the text of one of its code blocks exactly as the page's
 * "Copy Code" button copies it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The docs package's directory. */
export const DOCS_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** Where VitePress writes the built site. */
export const DIST_DIR = join(DOCS_DIR, '.vitepress', 'dist');

/** The HTML of a built page, by its path in the site (`getting-started/quickstart`, `index`). */
export function readBuiltPage(page: string): string {
  const file = join(DIST_DIR, `${page}.html`);
  if (!existsSync(file)) {
    throw new Error(`${file} does not exist: build the site (npm run docs:build) or check the page's path`);
  }
  return readFileSync(file, 'utf8');
}

/** The path the built site expects to be served under (`/monque/`, or `/` with DOCS_BASE=/). */
export function builtSiteBase(): string {
  const index = readBuiltPage('index');
  const match = /<script type="module" src="([^"]*)assets\//.exec(index);
  if (!match?.[1]) throw new Error('cannot find the site base in the built index.html');
  return match[1];
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the entities VitePress and Shiki write; an unknown one throws rather than passing silently. */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => {
    if (body.startsWith('#x') || body.startsWith('#X')) return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(Number.parseInt(body.slice(1), 10));
    const named = NAMED_ENTITIES[body];
    if (named === undefined) throw new Error(`unexpected HTML entity ${entity} in a code block`);
    return named;
  });
}

/**
 * The text of the code block in the code group tab titled `fileName` (Markdown:
 * `::: code-group` / `<<< @/snippets/x.ts [x.ts]` / `:::`), as the Copy button copies it:
 * the `<pre>` element's text. Throws unless the page has exactly one such tab.
 */
export function extractCodeBlock(html: string, fileName: string): string {
  const groups = html.split('<div class="vp-code-group').slice(1);
  const found: string[] = [];
  for (const group of groups) {
    const titles = [...group.matchAll(/<label data-title="([^"]*)"/g)].map((match) => decodeEntities(match[1] ?? ''));
    const index = titles.indexOf(fileName);
    if (index === -1) continue;
    const blocks = [...group.matchAll(/<pre\b[^>]*><code>([\s\S]*?)<\/code><\/pre>/g)];
    const block = blocks[index]?.[1];
    if (block === undefined) throw new Error(`the code group titled ${fileName} has no code block for its tab`);
    if (/vp-copy-ignore|class="line diff remove/.test(block)) {
      throw new Error(`the ${fileName} block has lines the Copy button leaves out; extract them the same way`);
    }
    found.push(decodeEntities(block.replace(/<[^>]*>/g, '')));
  }
  if (found.length !== 1) throw new Error(`expected one code block titled ${fileName}, found ${found.length}`);
  return found[0] as string;
}
