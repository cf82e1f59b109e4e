/**
 * A clear boot error when the application and `@monque/tsed` load two copies of `@tsed/di`.
 *
 * `@monque/tsed` registers `Monque` with an async factory in the provider registry of the
 * `@tsed/di` copy it imports. An injector of another copy (the application's, when the package
 * manager installed two) has never heard of that provider, so it builds `Monque` as a plain class:
 * `new Monque()`, and core fails with "db: expected a MongoDB Db, got undefined" although a
 * connection is configured. To say what is really wrong, `Monque`'s constructor dependencies are
 * declared (in Ts.ED's own metadata, which every copy reads through the global `Reflect`) as one
 * class whose constructor throws a {@link MonqueConfigurationError}. The injector that knows the
 * real provider never looks at them: a factory provider takes no constructor dependencies.
 */
import { Monque } from '@monque/core';
import { setConstructorDependencies } from '@tsed/di';
import { MonqueConfigurationCode, MonqueConfigurationError } from './configuration-error.js';

/** The message of the error raised when another `@tsed/di` copy builds `Monque`. */
export const DUPLICATE_DI_MESSAGE =
  "Monque was built by a Ts.ED injector that does not know @monque/tsed's provider for it (core would " +
  "fail with 'db: expected a MongoDB Db, got undefined' even with a connection configured). The " +
  'application and @monque/tsed load two copies of @tsed/di, each with its own registry: run ' +
  '`npm ls @tsed/di` and install one version of every @tsed/* package (dedupe, or align the versions ' +
  'so that @monque/tsed uses the application’s copy).';

/** Stands in for `Monque`'s constructor argument; an injector that builds it has the wrong registry. */
export class MonqueProvidedByAnotherDiCopy {
  constructor() {
    throw new MonqueConfigurationError(MonqueConfigurationCode.DUPLICATE_DI, DUPLICATE_DI_MESSAGE);
  }
}

/** Declares the guard as `Monque`'s only constructor dependency (idempotent). */
export function guardAgainstDuplicateDi(): void {
  setConstructorDependencies(Monque, [MonqueProvidedByAnotherDiCopy]);
}
