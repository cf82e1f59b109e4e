/**
 * A readiness endpoint backed by `isHealthy()`.
 */
import { createServer, type Server } from 'node:http';
import type { Monque } from '@monque/core';

/** Serves `GET /health`: 200 while the scheduler runs and the database answers, 503 otherwise. */
export function healthServer(monque: Monque, port: number): Server {
  // #region health
  const server = createServer((request, response) => {
    if (request.url !== '/health') {
      response.writeHead(404).end();
      return;
    }
    const healthy = monque.isHealthy(); // false before start(), after stop(), and after a failed poll
    response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ healthy, instanceId: monque.instanceId }));
  });
  server.listen(port);
  // #endregion health
  return server;
}
