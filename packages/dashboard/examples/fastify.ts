/**
 * Mounting the dashboard in Fastify 5 through `@fastify/middie` (Express-style middleware), under
 * /admin/jobs, read-only.
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
