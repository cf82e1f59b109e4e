export { ConnectionError } from './connection-error.js';
export { DuplicateWorkerError } from './duplicate-worker-error.js';
export { InvalidArgumentError } from './invalid-argument-error.js';
export { InvalidCronError } from './invalid-cron-error.js';
export { JobLockLostError } from './job-lock-lost-error.js';
export { MonqueError, MonqueErrorCode, type MonqueErrorCodeType } from './monque-error.js';
export { ShutdownTimeoutError } from './shutdown-timeout-error.js';
