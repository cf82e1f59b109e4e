/**
 * Health endpoints: a worker's from `isHealthy()`, a producer's from `ping()`.
 */
import { createServer, type Server } from 'node:http';
import type { Monque } from '@monque/core';

/**
 * Serves `GET /health`: 200 while Monque does its part in this process, 503 otherwise. A worker
 * (it called `start()`) is healthy while its scheduler runs and the database answers; a producer
 * (it only enqueues) while the database answers a ping.
 */
export function healthServer(monque: Monque, port: number, role: 'worker' | 'producer'): Server {
  // #region health
  const server = createServer(async (request, response) => {
    if (request.url !== '/health') {
      response.writeHead(404).end();
      return;
    }
    // isHealthy(): false before start(), after stop(), and while the database does not answer.
    // A producer never starts a scheduler: ask the database instead (false within operationTimeout).
    const healthy = role === 'worker' ? monque.isHealthy() : await monque.ping();
    response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ role, healthy, instanceId: monque.instanceId }));
  });
  server.listen(port);
  // #endregion health
  return server;
}
