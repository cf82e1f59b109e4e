/**
 * The closing report of a demo run, read from the database: counts per status, retries, the jobs
 * that failed for good, the unique job and the cron schedule.
 */
import { type Job, JobStatus } from '../../packages/core/src/index.js';
import type { EventLog } from './event-log.js';
import { formatClockTime, shortId } from './format.js';
import type { Palette } from './palette.js';
import type { ScenarioJobs } from './scenario.js';
import { countByStatus } from './status-board.js';

/** The summary as lines (the first line is a one-line total that scripts may read). */
export function summarise(jobs: readonly Job[], scenario: ScenarioJobs | undefined, log: EventLog, palette: Palette) {
  const counts = countByStatus(jobs, new Date());
  const lines = [
    palette.bold(
      `Summary: ${counts.completed} completed, ${counts.failed} failed, ${counts.processing} processing, ` +
        `${counts.pending} pending; ${log.retries} retries`,
    ),
  ];
  for (const job of jobs.filter((candidate) => candidate.status === JobStatus.FAILED)) {
    lines.push(
      `  ${palette.red('failed')} ${job.name} ${shortId(job._id)} after ${job.failCount} attempts: ${job.failReason}`,
    );
  }
  for (const job of jobs.filter((candidate) => candidate.status === JobStatus.COMPLETED && candidate.failCount > 0)) {
    lines.push(
      `  ${palette.green('completed after retries')} ${job.name} ${shortId(job._id)} (${job.failCount} failures)`,
    );
  }
  if (scenario) {
    const distinct = new Set(scenario.uniqueIds);
    lines.push(
      `  unique: ${scenario.uniqueIds.length} enqueues of sync-inventory 'sku:A-42' → ${distinct.size} job` +
        (distinct.size === 1 ? ` (_id ${scenario.uniqueIds[0]}, deduplicated)` : 's (NOT deduplicated)'),
    );
    const recurring = jobs.find((job) => job._id.equals(scenario.recurring._id));
    if (recurring) {
      lines.push(
        `  cron: nightly-report '${recurring.repeatInterval}' is ${recurring.status}, ` +
          `next run at ${formatClockTime(recurring.nextRunAt)} (${recurring.nextRunAt.toISOString()})`,
      );
    }
  }
  return lines;
}
