/**
 * Mounting the dashboard in Fastify 5 through `@fastify/middie` (Express-style middleware), under
 * /admin/jobs, read-only. Without an `authorize` hook it answers loopback `Host` names only
 * (`localhost`, `127.0.0.1`, `[::1]`): list the names you open it by in `allowedHosts`, or add
 * `authorize` (see the Express example) before exposing it.
 */
import middie from '@fastify/middie';
import type { Monque } from '@monque/core';
import { createDashboard } from '@monque/dashboard';
import Fastify, { type FastifyInstance } from 'fastify';

export async function createFastifyApp(monque: Monque): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(middie);
  app.use('/admin/jobs', createDashboard({ monque, readOnly: true }));
  app.get('/', async () => 'the app');
  return app;
}
