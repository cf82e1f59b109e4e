/**
 * The NestJS guide shows the example application (packages/nestjs/examples) as it is: each tab of
 * its code group on the BUILT page is the whole file, as the Copy button copies it. The example
 * itself is compiled and run by packages/nestjs/tests/example.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractCodeBlock, readBuiltPage } from './support/built-site.js';

const FILES = [
  'src/main.ts',
  'src/app.module.ts',
  'src/jobs.ts',
  'src/jobs.controller.ts',
  'src/send-email.processor.ts',
  'src/report.processor.ts',
  'src/mailer.service.ts',
  'src/job-events.ts',
  'src/health.controller.ts',
  'package.json',
  'tsconfig.json',
];

describe('the NestJS guide', () => {
  it.each(FILES)('shows all of the example application’s %s', (file) => {
    const shown = extractCodeBlock(readBuiltPage('guides/nestjs'), file);
    expect(`${shown}\n`).toBe(readFileSync(new URL(`../../nestjs/examples/${file}`, import.meta.url), 'utf8'));
  });

  it('is in the sidebar, next to the Ts.ED guide', () => {
    const page = readBuiltPage('guides/tsed-integration');
    expect(page).toMatch(/href="[^"]*guides\/nestjs\.html"/);
  });
});
