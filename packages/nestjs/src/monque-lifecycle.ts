/**
 * Runs the application's `Monque` with the Nest lifecycle: processors registered in
 * `onModuleInit`, workers started in `onApplicationBootstrap`, drained before the application's
 * connections close.
 */
import { DuplicateWorkerError, InvalidArgumentError, type Monque } from '@monque/core';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { MonqueConfigurationCode, MonqueConfigurationError } from './configuration-error.js';
import type { MonqueConnection } from './connection.js';
import { LOGGER_CONTEXT, MONQUE_CONNECTION, MONQUE_MODULE_OPTIONS } from './constants.js';
import { bindEventListeners } from './event-listeners.js';
import type { MonqueModuleOptions } from './module-options.js';
import { discoverProcessors, type ProcessorDefinition } from './processor-discovery.js';
import { processorHandler } from './processor-runner.js';

/**
 * The module's lifecycle provider (exported as `MonqueLifecycle`, injectable to read {@link role}).
 *
 * - `onModuleInit` (every module's providers exist): finds and checks the `@Processor` classes
 *   (boot errors are thrown here), registers one worker per class (not with `worker: false`), and
 *   subscribes the `@OnJobEvent` methods.
 * - `onApplicationBootstrap` (every module's `onModuleInit` has run): `monque.start()`, unless
 *   `worker: false` or `manualStart`.
 * - `beforeApplicationShutdown`: `monque.stop()`: no new claims, running jobs get `shutdownTimeout`
 *   to finish and store their outcome. This runs before any module's `onApplicationShutdown`, where
 *   Mongoose, TypeORM and most clients close their connections.
 * - `onApplicationShutdown`: `stop()` again (returns at once once stopped), then unsubscribes the
 *   listeners and closes the client the module created from `uri`.
 */
export class MonqueLifecycle
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private unbindListeners: (() => void) | undefined;
  private startedByModule = false;

  constructor(
    private readonly options: MonqueModuleOptions,
    private readonly connection: MonqueConnection,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * What this process does with jobs: `'worker'` when the module started the scheduler or it is
   * running (started by hand after `manualStart`), `'producer'` otherwise. A worker whose scheduler
   * stopped (shutting down) is still a worker: the health indicator reports it down.
   */
  get role(): 'worker' | 'producer' {
    return this.startedByModule || this.connection.monque.isRunning ? 'worker' : 'producer';
  }

  onModuleInit(): void {
    const worker = this.options.worker !== false;
    const processors = discoverProcessors(
      this.discovery,
      worker ? (this.options.unregisteredProcessors ?? 'error') : 'ignore',
    );
    if (worker) for (const definition of processors) this.register(definition);
    this.unbindListeners ??= bindEventListeners(this.connection.monque, this.discovery, this.scanner, this.moduleRef);
    const names = processors.map((definition) => definition.name);
    this.logger.log(
      worker
        ? `${names.length} processor(s) registered${names.length ? `: ${names.join(', ')}` : ''}`
        : `producer only (worker: false): ${names.length} processor(s) not registered`,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.worker === false || this.options.manualStart === true) return;
    this.startedByModule = true;
    await this.connection.monque.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.connection.monque.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.monque.stop();
    this.unbindListeners?.();
    this.unbindListeners = undefined;
    await this.connection.ownedClient?.close();
  }

  private register(definition: ProcessorDefinition): void {
    const monque: Monque = this.connection.monque;
    try {
      monque.worker(definition.name, processorHandler(definition, this.moduleRef), definition.workerOptions);
    } catch (error) {
      if (error instanceof DuplicateWorkerError) {
        throw new MonqueConfigurationError(
          MonqueConfigurationCode.DUPLICATE_PROCESSOR,
          `job name '${definition.name}' has more than one handler: ${definition.label} and a monque.worker() call; keep one`,
          { cause: error },
        );
      }
      if (error instanceof InvalidArgumentError) {
        throw new MonqueConfigurationError(
          MonqueConfigurationCode.INVALID_PROCESSOR_OPTIONS,
          `@Processor('${definition.name}') on ${definition.label}: ${error.message}`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

Injectable()(MonqueLifecycle);
for (const [index, token] of [
  MONQUE_MODULE_OPTIONS,
  MONQUE_CONNECTION,
  DiscoveryService,
  MetadataScanner,
  ModuleRef,
].entries()) {
  Inject(token)(MonqueLifecycle, undefined as never, index);
}
