/**
 * Connects the `@OnJobEvent` methods of the application's providers to its `Monque`.
 */
import type { Monque, MonqueEventMap } from '@monque/core';
import type { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { getOnJobEventMetadata, type OnJobEventMetadata } from './on-job-event-decorator.js';
import { getProcessorMetadata } from './processor-decorator.js';
import { classOf, isPerJob, type ProviderWrapper } from './processor-discovery.js';
import { resolvePerJob } from './processor-runner.js';

type Listener = (payload: unknown) => unknown;

/**
 * The job name an event concerns: a string, `null` for "every name" (`pause()` without a name), or
 * `undefined` when it concerns no job name (`job:deleted`, `jobs:*`, `wakeup:fallback`, a
 * `job:error` without a job).
 */
export function eventJobName(event: keyof MonqueEventMap, payload: unknown): string | null | undefined {
  const value = payload as { name?: unknown; job?: { name?: unknown } } | undefined;
  if (event === 'job:start' || event === 'queue:paused' || event === 'queue:resumed') {
    return value?.name as string | null | undefined;
  }
  const name = value?.job?.name;
  return typeof name === 'string' ? name : undefined;
}

/** What a per-event instance gets as its request (`JOB_REF`): the job the event is about, else the payload. */
export function eventRequest(event: keyof MonqueEventMap, payload: unknown): unknown {
  if (event === 'job:start') return payload;
  const job = (payload as { job?: unknown } | undefined)?.job;
  return job ?? payload;
}

function accepts(filter: string | undefined, event: keyof MonqueEventMap, payload: unknown): boolean {
  if (filter === undefined) return true;
  const name = eventJobName(event, payload);
  return name === undefined || name === null || name === filter;
}

function listenerFor(
  wrapper: ProviderWrapper,
  method: string,
  entry: OnJobEventMetadata,
  filter: string | undefined,
  moduleRef: ModuleRef,
): Listener {
  if (!isPerJob(wrapper)) {
    const instance = wrapper.instance as Record<string, Listener>;
    return (payload) => (accepts(filter, entry.event, payload) ? instance[method]?.call(instance, payload) : undefined);
  }
  return async (payload) => {
    if (!accepts(filter, entry.event, payload)) return undefined;
    const instance = (await resolvePerJob(moduleRef, wrapper.token, eventRequest(entry.event, payload))) as Record<
      string,
      Listener
    >;
    return instance[method]?.call(instance, payload);
  };
}

/**
 * Subscribes every `@OnJobEvent` method of the application's providers and controllers to
 * `monque`'s events. A listener on a `@Processor` class hears its own job name unless its options
 * name another.
 * @returns a function that unsubscribes them all
 */
export function bindEventListeners(
  monque: Monque,
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  moduleRef: ModuleRef,
): () => void {
  const bound: [keyof MonqueEventMap, Listener][] = [];
  const wrappers = [...discovery.getProviders(), ...discovery.getControllers()] as unknown as ProviderWrapper[];
  for (const wrapper of wrappers) {
    const target = classOf(wrapper);
    if (!target?.prototype) continue;
    const processorName = getProcessorMetadata(target)?.name;
    const prototype = target.prototype as Record<string, unknown>;
    for (const method of scanner.getAllMethodNames(prototype)) {
      for (const entry of getOnJobEventMetadata(prototype[method])) {
        const listener = listenerFor(wrapper, method, entry, entry.options.name ?? processorName, moduleRef);
        monque.on(entry.event, listener);
        bound.push([entry.event, listener]);
      }
    }
  }
  return () => {
    for (const [event, listener] of bound) monque.off(event, listener);
  };
}
