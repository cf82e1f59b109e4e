/**
 * `@InjectMonque()`: the application's `Monque`, as `@InjectQueue()` is in `@nestjs/bullmq`.
 */
import { Monque } from '@monque/core';
import { Inject } from '@nestjs/common';

/**
 * Injects the application's `Monque` (constructor parameter or property). Type it with the
 * application's job map to have job names and payloads checked at compile time:
 *
 * ```ts
 * constructor(@InjectMonque() private readonly monque: Monque<Jobs>) {}
 * ```
 *
 * The DI token is the `Monque` class itself, so `constructor(private readonly monque: Monque<Jobs>)`
 * works too where decorator metadata is emitted.
 */
export function InjectMonque(): PropertyDecorator & ParameterDecorator {
  return Inject(Monque);
}
