/**
 * A dashboard behind a real `node:http` server on an ephemeral port, and a small client that sends
 * exactly the headers a test gives (so a test can play a browser, a form or curl).
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll } from 'vitest';

/** A server under test. */
export interface TestServer {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly server: Server;
  close(): Promise<void>;
}

const servers = new Set<TestServer>();
afterAll(async () => {
  await Promise.all([...servers].map((server) => server.close()));
});

/** Serves `handler` on 127.0.0.1 and a free port; closed after the file. */
export async function serve(handler: (req: IncomingMessage, res: ServerResponse) => unknown): Promise<TestServer> {
  const server = createServer((req, res) => {
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const testServer: TestServer = {
    origin: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        servers.delete(testServer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.add(testServer);
  return testServer;
}

/** An answer: status, headers and the body (parsed when JSON). */
export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/**
 * Sends a request with exactly these headers (node:http, so `Origin` and `Sec-Fetch-Site` can be
 * set like a browser would); `json` sets the body and `Content-Type: application/json` unless
 * `headers` names another type.
 */
export function send<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; headers?: Record<string, string>; json?: unknown; body?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json';
    }
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        let parsed: unknown = text;
        if (res.headers['content-type']?.startsWith('application/json')) parsed = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: parsed as T, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `POST` with a JSON body, as the UI sends it. */
export function post<T = Record<string, unknown>>(
  url: string,
  json: unknown = {},
  headers: Record<string, string> = {},
) {
  return send<T>(url, { method: 'POST', json, headers });
}
