/**
 * Checks a `flow()` spec and flattens it, root first (pre-order). Nothing is written on bad input.
 */
import type { ObjectId } from 'mongodb';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { MAX_FLOW_JOBS } from '../flow-spec.js';
import { type EnqueueOptions, MAX_DEPENDENCIES } from '../job-options.js';
import type { ObjectIds } from '../store/object-ids.js';
import { checkName, checkOptionsObject, describeValue, isPlainObject } from '../validation.js';
import { checkData } from './data.js';
import { checkDependsOn } from './dependencies.js';
import { checkEnqueueOptions } from './job-options.js';

/** One job of a checked flow. */
export interface CheckedFlowJob {
  /** Where it is in the spec, for errors (`spec.children[1].children[0]`). */
  readonly path: string;
  readonly name: string;
  readonly data: unknown;
  /** Its checked options (no `dependsOn`: see {@link CheckedFlowJob.external}). */
  readonly options: Omit<EnqueueOptions, 'dependsOn' | 'session' | 'uniqueKey'>;
  /** Existing jobs it also depends on (`options.dependsOn`). */
  readonly external: readonly ObjectId[];
  /** Its position's parent in the flattened list (`-1` for the root). */
  readonly parent: number;
  /** Positions of its children in the flattened list. */
  readonly children: number[];
}

/**
 * Checks `spec` and returns its jobs, root first, each parent before its children.
 * @throws InvalidArgumentError naming the place at fault: a bad name, payload or option, a
 *   `uniqueKey` (not supported in flows), a spec object that appears twice (a cycle, or one subtree
 *   used twice), more than {@link MAX_FLOW_JOBS} jobs, or a job with more than
 *   {@link MAX_DEPENDENCIES} dependencies
 */
export function checkFlowSpec(spec: unknown, ids: ObjectIds, bsonVersion: unknown): CheckedFlowJob[] {
  const jobs: CheckedFlowJob[] = [];
  const seen = new Map<object, string>();
  const stack: { spec: unknown; path: string; parent: number }[] = [{ spec, path: 'spec', parent: -1 }];
  while (stack.length > 0) {
    const { spec: node, path, parent } = stack.pop() as (typeof stack)[number];
    if (!isPlainObject(node)) {
      throw new InvalidArgumentError(path, `expected { name, data, options?, children? }, got ${describeValue(node)}`);
    }
    const earlier = seen.get(node);
    if (earlier !== undefined) {
      throw new InvalidArgumentError(
        path,
        `is the same object as ${earlier}: a flow is a tree (a job cannot depend on itself, and each job appears once)`,
      );
    }
    seen.set(node, path);
    if (jobs.length >= MAX_FLOW_JOBS) throw new InvalidArgumentError('spec', `at most ${MAX_FLOW_JOBS} jobs per flow`);
    checkOptionsObject(node, path, ['name', 'data', 'options', 'children']);
    const name = checkName(node.name, `${path}.name`);
    checkData(node.data, `${path}.data`, bsonVersion);
    const { dependsOn, uniqueKey, ...options } = checkEnqueueOptions(node.options, `${path}.options`, false);
    if (uniqueKey !== undefined) {
      throw new InvalidArgumentError(
        `${path}.options.uniqueKey`,
        'is not supported in a flow (a flow is written as a whole)',
      );
    }
    const external = dependsOn === undefined ? [] : checkDependsOn(dependsOn, `${path}.options.dependsOn`, ids);
    const children = node.children ?? [];
    if (!Array.isArray(children)) {
      throw new InvalidArgumentError(`${path}.children`, `expected an array of specs, got ${describeValue(children)}`);
    }
    if (children.length + external.length > MAX_DEPENDENCIES) {
      throw new InvalidArgumentError(
        `${path}.children`,
        `a job has at most ${MAX_DEPENDENCIES} dependencies (children and options.dependsOn), got ${children.length + external.length}`,
      );
    }
    const position = jobs.length;
    jobs.push({ path, name, data: node.data, options, external, parent, children: [] });
    if (parent >= 0) (jobs[parent] as CheckedFlowJob).children.push(position);
    for (let index = children.length - 1; index >= 0; index -= 1) {
      stack.push({ spec: children[index], path: `${path}.children[${index}]`, parent: position });
    }
  }
  return jobs;
}
