/**
 * Serves the built site over HTTP on 127.0.0.1, under the base it was built for (`/monque/` by
 * default), as GitHub Pages would.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { builtSiteBase, DIST_DIR } from './built-site.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** A running server of the built site. */
export interface SiteServer {
  /** The site's root URL, base included (`http://127.0.0.1:PORT/monque/`). */
  url: string;
  close(): Promise<void>;
}

/** The file a request path maps to, or `undefined` (outside the base, or missing). */
function fileFor(path: string, base: string): string | undefined {
  if (!path.startsWith(base)) return undefined;
  const relative = normalize(decodeURIComponent(path.slice(base.length))).replace(/^(\.\.[/\\])+/, '');
  const candidates = [
    join(DIST_DIR, relative),
    join(DIST_DIR, relative, 'index.html'),
    join(DIST_DIR, `${relative}.html`),
  ];
  return candidates.find((file) => file.startsWith(DIST_DIR) && existsSync(file) && statSync(file).isFile());
}

/** Starts serving `.vitepress/dist` on a free port. */
export async function serveBuiltSite(): Promise<SiteServer> {
  const base = builtSiteBase();
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const file = fileFor(path, base);
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${base}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
