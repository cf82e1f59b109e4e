/**
 * Core's operator messages (started, stopped, recoveries, database errors) through Nest's logger,
 * so they appear in the application's log format and obey `app.useLogger()`.
 */
import type { Logger as MonqueLogger } from '@monque/core';
import { Logger } from '@nestjs/common';
import { LOGGER_CONTEXT } from './constants.js';

function line(message: string, context: Record<string, unknown> | undefined): string {
  if (context === undefined || Object.keys(context).length === 0) return message;
  try {
    return `${message} ${JSON.stringify(context)}`;
  } catch {
    return message;
  }
}

/**
 * A core `Logger` writing through `new Logger(context)` of `@nestjs/common` (`info` as `log`).
 * The module uses it unless the options give a `logger` of their own.
 * @param context the Nest logger context
 * @defaultValue context `'Monque'`
 */
export function nestLogger(context: string = LOGGER_CONTEXT): MonqueLogger {
  const logger = new Logger(context);
  return {
    debug: (message, details) => logger.debug(line(message, details)),
    info: (message, details) => logger.log(line(message, details)),
    warn: (message, details) => logger.warn(line(message, details)),
    error: (message, details) => logger.error(line(message, details)),
  };
}
