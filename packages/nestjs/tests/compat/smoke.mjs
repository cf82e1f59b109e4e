// The smoke test through ES modules: import loads @monque/nestjs's ESM build.
import { createRequire } from 'node:module';
import * as nestjs from '@monque/nestjs';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import runSmoke from './smoke-app.cjs';

const require = createRequire(import.meta.url);

try {
  const summary = await runSmoke({
    common,
    core,
    nestjs,
    uri: process.env.MONGODB_URI,
    nestVersion: require('@nestjs/core/package.json').version,
  });
  console.log(`SMOKE_RESULT ${JSON.stringify({ build: import.meta.resolve('@monque/nestjs'), ...summary })}`);
} catch (error) {
  console.error(error);
  process.exit(1);
}
