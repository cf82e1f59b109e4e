/**
 * The chaos run's invariant checker on hand-made records, invariants 13 to 15: jobs of workflows
 * (`dependsOn`) start only after their dependencies completed, are not left waiting, and are
 * cancelled when a dependency failed or was cancelled (unless `onDependencyFailure: 'run'`).
 */
import type { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../chaos/invariants.js';
import { check, completed, failing, job, run, text } from './chaos-records.js';

/** `of` as a job of workflow `wf1` depending on `dependencies`. */
function dependent(of: JobRecord, dependencies: readonly JobRecord[], extra: Partial<JobRecord> = {}): JobRecord {
  return {
    ...of,
    data: { ...of.data, wf: 'wf1' },
    dependsOn: dependencies.map((dependency) => dependency._id as ObjectId),
    ...extra,
  };
}

describe('chaos invariants: workflows', () => {
  it('13: fails a dependent that started before its dependency’s successful run returned', () => {
    const leaf = completed('fast', 'leaf-ok');
    const parent = dependent(completed('fast', 'parent-ok'), [leaf]);
    const inOrder = check({
      jobs: [leaf, parent],
      runs: [run(leaf, 'A', 0, 100, 'ok', 'leaf-ok'), run(parent, 'B', 300, 320, 'ok', 'parent-ok')],
    });
    expect(failing(inOrder)).toEqual([]);
    const early = check({
      jobs: [leaf, parent],
      runs: [run(leaf, 'A', 0, 400, 'ok', 'leaf-ok'), run(parent, 'B', 300, 320, 'ok', 'parent-ok')],
    });
    expect(failing(early)).toEqual([13]);
    expect(text(early[13])).toMatch(
      /started at .* before its dependency .* completed: that one's successful run returned/,
    );
  });

  it('13: fails a dependent that ran although its dependency never completed; with run, once it settled', () => {
    const dead = job('always-failing', 'failed', 2);
    const deadRuns = [run(dead, 'A', 0, 50, 'threw'), run(dead, 'A', 400, 450, 'threw')];
    const parent = dependent(completed('fast', 'parent-ok'), [dead]);
    const ran = check({ jobs: [dead, parent], runs: [...deadRuns, run(parent, 'B', 600, 620, 'ok', 'parent-ok')] });
    expect(text(ran[13])).toMatch(/although its dependency .* never completed/);
    expect(failing(ran)).toContain(15);
    const anyway = dependent(completed('fast', 'anyway-ok'), [dead], { onDependencyFailure: 'run' });
    const settled = check({ jobs: [dead, anyway], runs: [...deadRuns, run(anyway, 'B', 600, 620, 'ok', 'anyway-ok')] });
    expect(failing(settled)).toEqual([]);
    expect(settled[15]?.summary).toMatch(/1 with 'run' whose dependency failed/);
    // Started between the dependency's two attempts: it had not settled.
    const between = check({ jobs: [dead, anyway], runs: [...deadRuns, run(anyway, 'B', 200, 220, 'ok', 'anyway-ok')] });
    expect(text(between[13])).toMatch(/before its dependency .* settled: that one ran again/);
  });

  it('14: fails a dependent left waiting once its dependencies settled', () => {
    const leaf = completed('fast', 'leaf-ok');
    const parent = dependent(job('fast', 'waiting'), [leaf]);
    const results = check({ jobs: [leaf, parent], runs: [run(leaf, 'A', 0, 100, 'ok', 'leaf-ok')] });
    expect(text(results[14])).toMatch(/left waiting although every dependency settled/);
  });

  it('15 and 1: a dependent of a failed dependency ends cancelled, its cancelReason naming it', () => {
    const dead = job('always-failing', 'failed', 2);
    const deadRuns = [run(dead, 'A', 0, 50, 'threw'), run(dead, 'A', 400, 450, 'threw')];
    const reason = `dependency ${String(dead._id)} failed`;
    const parent = dependent(job('fast', 'cancelled'), [dead], { cancelReason: reason });
    const root = dependent(job('fast', 'cancelled'), [parent], {
      cancelReason: `dependency ${String(parent._id)} cancelled`,
    });
    const cancelled = check({ jobs: [dead, parent, root], runs: deadRuns });
    expect(failing(cancelled)).toEqual([]);
    expect(cancelled[15]?.summary).toMatch(/^2 dependents cancelled by a dependency/);
    const unnamed = check({
      jobs: [dead, { ...parent, cancelReason: 'something else' }, root],
      runs: deadRuns,
    });
    expect(text(unnamed[15])).toMatch(/cancelReason \('something else'\) names none of/);
    // Cancelled with no failed dependency, and not by the operator: invariant 1.
    const leaf = completed('fast', 'leaf-ok');
    const stray = dependent(job('fast', 'cancelled'), [leaf]);
    const results = check({ jobs: [leaf, stray], runs: [run(leaf, 'A', 0, 100, 'ok', 'leaf-ok')] });
    expect(text(results[1])).toMatch(/cancelled, but neither the operator nor a failed or cancelled dependency did it/);
    // With onDependencyFailure 'run', cancelled by the dependency's failure: invariant 15.
    const anyway = dependent(job('fast', 'cancelled'), [dead], { onDependencyFailure: 'run', cancelReason: reason });
    expect(text(check({ jobs: [dead, anyway], runs: deadRuns })[15])).toMatch(
      /onDependencyFailure 'run', yet cancelled/,
    );
  });
});
