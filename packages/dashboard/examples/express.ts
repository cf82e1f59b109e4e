/**
 * Mounting the dashboard in Express 4 or 5, under /admin/jobs, behind the app's own access check.
 * Express strips the mount path, so no `basePath` is needed.
 */
import type { Monque } from '@monque/core';
import { createDashboard } from '@monque/dashboard';
import express, { type Express } from 'express';

export function createApp(monque: Monque, adminToken: string): Express {
  const app = express();
  app.use(
    '/admin/jobs',
    createDashboard({
      monque,
      // Called for every request of the dashboard, its page and assets included.
      authorize: (req) => req.headers.authorization === `Bearer ${adminToken}`,
    }),
  );
  app.get('/', (_req, res) => {
    res.send('the app');
  });
  return app;
}
