/**
 * What makes the newcomer's two silent mistakes loud at bootstrap: a `@Processor` class that no
 * module provides, and `@Processor` classes in an application that never imports `MonqueModule`.
 */
import { MonqueConfigurationCode, MonqueConfigurationError } from './configuration-error.js';

/** A class, as decorators receive it. */
// biome-ignore lint/complexity/noBannedTypes: class decorators receive a bare Function
export type ClassTarget = Function;

/** Every class decorated with `@Processor` in this copy of the package (in the order they were loaded). */
const decorated = new Set<ClassTarget>();

/**
 * Classes the module found among an application's providers. Kept on `globalThis` (under a
 * `Symbol.for` key) so that the ESM and CommonJS copies of this package, if both are loaded, agree.
 */
const CLAIMED_KEY = Symbol.for('@monque/nestjs:claimed-processors');
const shared = globalThis as Record<symbol, WeakSet<ClassTarget> | undefined>;
shared[CLAIMED_KEY] ??= new WeakSet<ClassTarget>();
const claimed: WeakSet<ClassTarget> = shared[CLAIMED_KEY];

/** Records a class decorated with `@Processor`. */
export function recordProcessorClass(target: ClassTarget): void {
  decorated.add(target);
}

/** The classes decorated with `@Processor` so far. */
export function decoratedProcessorClasses(): readonly ClassTarget[] {
  return [...decorated];
}

/** Marks `target` as found by a `MonqueModule` (its bootstrap guard then lets it through). */
export function claimProcessorClass(target: ClassTarget): void {
  claimed.add(target);
}

type Hook = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Gives the class an `onApplicationBootstrap` (wrapping its own, if it has one) that fails the
 * bootstrap when no `MonqueModule` found the class: Nest calls that hook on every provider, and
 * `MonqueModule` finds its processors in `onModuleInit`, which runs before any of them. Without this,
 * an application that forgets `MonqueModule.forRoot()` would boot and never run a job.
 * (Request-scoped classes get no lifecycle hooks from Nest, so this guard does not cover them.)
 */
export function guardBootstrap(target: ClassTarget, jobName: unknown): void {
  const prototype = target.prototype as Record<string, unknown>;
  const own = prototype.onApplicationBootstrap as Hook | undefined;
  Object.defineProperty(prototype, 'onApplicationBootstrap', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function onApplicationBootstrap(this: unknown, ...args: unknown[]): unknown {
      if (!claimed.has(target)) {
        throw new MonqueConfigurationError(
          MonqueConfigurationCode.FOR_ROOT_MISSING,
          `${target.name} is a @Processor(${JSON.stringify(jobName)}) but no MonqueModule runs it: import ` +
            'MonqueModule.forRoot({ uri | db | client, … }) (or forRootAsync()) once, in the root module ' +
            '(AppModule); it is global, so feature modules need not import it',
        );
      }
      return own?.apply(this, args);
    },
  });
}
