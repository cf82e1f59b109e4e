/**
 * Mounting the dashboard in Express 4 or 5, under /admin/jobs, behind HTTP basic authentication,
 * which a browser asks for and then sends with every request (the page, its assets and its API
 * calls). Express strips the mount path, so no `basePath` is needed. With `authorize`, the
 * dashboard answers any `Host`; add `allowedHosts: ['admin.example.com']` to limit that too.
 * Serve it over HTTPS in production: basic auth sends the password with every request.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Monque } from '@monque/core';
import { createDashboard } from '@monque/dashboard';
import express, { type Express } from 'express';

export function createApp(monque: Monque, admin: { user: string; password: string }): Express {
  const expected = Buffer.from(`Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}`);
  const app = express();
  app.use(
    '/admin/jobs',
    createDashboard({
      monque,
      // Called for every request of the dashboard, its page and assets included.
      authorize: (req, res) => {
        const given = Buffer.from(req.headers.authorization ?? '');
        if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
        res.statusCode = 401; // the browser shows its login prompt
        res.setHeader('WWW-Authenticate', 'Basic realm="Monque dashboard", charset="UTF-8"');
        return false;
      },
    }),
  );
  app.get('/', (_req, res) => {
    res.send('the app');
  });
  return app;
}
