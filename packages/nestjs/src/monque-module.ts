/**
 * `MonqueModule`: provides the application's `Monque`, runs its `@Processor` classes and follows
 * the application's lifecycle. Import it once, in the root module.
 */
import { Monque } from '@monque/core';
import { type DynamicModule, Inject, Module, Optional, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MonqueConfigurationCode, MonqueConfigurationError } from './configuration-error.js';
import { type MonqueConnection, openConnection } from './connection.js';
import { MONQUE_CONNECTION, MONQUE_MODULE_OPTIONS } from './constants.js';
import { MonqueHealthIndicator } from './health-indicator.js';
import type {
  MonqueModuleAsyncOptions,
  MonqueModuleOptions,
  MonqueOptionsFactory,
  MonqueRootOptions,
} from './module-options.js';
import { checkAsyncOptions, checkModuleOptions } from './module-options-check.js';
import { MonqueLifecycle } from './monque-lifecycle.js';

const FOR_ROOT = 'MonqueModule.forRoot()';
const FACTORY = 'the options MonqueModule.forRootAsync() created';

/**
 * The Monque module for Nest 11 and 12, in the conventions of `@nestjs/bullmq`:
 *
 * ```ts
 * @Module({
 *   imports: [MonqueModule.forRoot({ uri: process.env.MONGODB_URI, defaultConcurrency: 10 })],
 *   providers: [SendEmailProcessor],
 * })
 * export class AppModule {}
 * ```
 *
 * It provides (and exports) `Monque` (inject it with `@InjectMonque()`), `MonqueHealthIndicator`
 * and `MonqueLifecycle`. Global by default, like `BullModule.forRoot()`. See `MonqueLifecycle` for
 * when workers start and stop.
 */
export class MonqueModule {
  /**
   * @throws MonqueConfigurationError when the module is imported as `MonqueModule` instead of
   *   through `forRoot()`/`forRootAsync()`
   */
  constructor(options?: unknown) {
    if (options === undefined) {
      throw new MonqueConfigurationError(
        MonqueConfigurationCode.FOR_ROOT_MISSING,
        'MonqueModule is imported without options: import MonqueModule.forRoot({ uri | db | client, … }) (or ' +
          'forRootAsync()) once, in the root module; it is global, so feature modules need not import MonqueModule',
      );
    }
  }

  /**
   * The module with options given now.
   * @throws MonqueConfigurationError for a bad module option (a misspelt one gets a suggestion);
   *   core's options are checked when the application is created
   */
  static forRoot(options: MonqueRootOptions): DynamicModule {
    const { global, ...moduleOptions } = (options ?? {}) as MonqueRootOptions;
    if (global !== undefined && typeof global !== 'boolean') {
      throw new MonqueConfigurationError(
        MonqueConfigurationCode.INVALID_MODULE_OPTION,
        `${FOR_ROOT}: global: expected true or false`,
      );
    }
    const checked = checkModuleOptions(options === undefined ? undefined : moduleOptions, FOR_ROOT);
    return MonqueModule.assemble([{ provide: MONQUE_MODULE_OPTIONS, useValue: checked }], [], global);
  }

  /**
   * The module with options created while the application bootstraps: by `useFactory` (with the
   * providers in `inject`), by a `useClass` instance, or by an existing provider (`useExisting`),
   * each `createMonqueOptions()`. `imports` makes their modules available.
   * @throws MonqueConfigurationError for bad `forRootAsync` options now, and for bad module options
   *   when the application is created
   */
  static forRootAsync(options: MonqueModuleAsyncOptions): DynamicModule {
    const checked = checkAsyncOptions(options);
    const providers: Provider[] = [];
    if (checked.useFactory) {
      const factory = checked.useFactory as (...args: unknown[]) => unknown;
      providers.push({
        provide: MONQUE_MODULE_OPTIONS,
        useFactory: async (...args: unknown[]) => checkModuleOptions(await factory(...args), FACTORY),
        inject: checked.inject ?? [],
      });
    } else {
      const factoryToken = checked.useClass ?? checked.useExisting;
      if (checked.useClass) providers.push({ provide: checked.useClass, useClass: checked.useClass });
      providers.push({
        provide: MONQUE_MODULE_OPTIONS,
        useFactory: async (factory: MonqueOptionsFactory) => {
          if (typeof factory?.createMonqueOptions !== 'function') {
            throw new MonqueConfigurationError(
              MonqueConfigurationCode.INVALID_MODULE_OPTION,
              `MonqueModule.forRootAsync(): ${describeToken(factoryToken)} has no createMonqueOptions() method (implement MonqueOptionsFactory)`,
            );
          }
          return checkModuleOptions(await factory.createMonqueOptions(), FACTORY);
        },
        inject: [factoryToken as never],
      });
    }
    return MonqueModule.assemble(providers, checked.imports ?? [], checked.global);
  }

  private static assemble(
    optionProviders: Provider[],
    imports: NonNullable<DynamicModule['imports']>,
    global = true,
  ): DynamicModule {
    return {
      module: MonqueModule,
      global,
      imports: [DiscoveryModule, ...imports],
      providers: [
        ...optionProviders,
        {
          provide: MONQUE_CONNECTION,
          useFactory: (options: MonqueModuleOptions) => openConnection(options),
          inject: [MONQUE_MODULE_OPTIONS],
        },
        {
          provide: Monque,
          useFactory: (connection: MonqueConnection) => connection.monque,
          inject: [MONQUE_CONNECTION],
        },
        MonqueLifecycle,
        MonqueHealthIndicator,
      ],
      exports: [Monque, MonqueHealthIndicator, MonqueLifecycle, MONQUE_MODULE_OPTIONS],
    };
  }
}

function describeToken(token: unknown): string {
  return typeof token === 'function' ? token.name : String(token);
}

Module({})(MonqueModule);
Inject(MONQUE_MODULE_OPTIONS)(MonqueModule, undefined, 0);
Optional()(MonqueModule, undefined, 0);
