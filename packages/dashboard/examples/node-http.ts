/**
 * Mounting the dashboard in a plain `node:http` server, under /jobs. The handler sees full paths
 * here, so it is told its `basePath`; requests outside it go to the `next` callback. Without an
 * `authorize` hook it answers loopback `Host` names only: bind it to 127.0.0.1, or list the names
 * you open it by in `allowedHosts` and add `authorize` (see the Express example).
 */
import { createServer, type Server } from 'node:http';
import type { Monque } from '@monque/core';
import { createDashboard } from '@monque/dashboard';

export function createAdminServer(monque: Monque): Server {
  const dashboard = createDashboard({ monque, basePath: '/jobs' });
  return createServer((req, res) => {
    void dashboard(req, res, () => {
      res.statusCode = 404;
      res.end('not found');
    });
  });
}

// createAdminServer(monque).listen(3000, '127.0.0.1');  →  http://127.0.0.1:3000/jobs/
