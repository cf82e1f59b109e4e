/** The commands that read: `stats`, `list`, `show`. */
import { JOB_STATUSES, type PausedState } from '@monque/core';
import type { Command } from 'commander';
import { jobIdOf } from '../../api/job-filter.js';
import { addCommonOptions, type CliIo, type CommonOptions, print, withMonque } from '../cli-context.js';
import { addFilterOptions, type FilterOptions, queryFromOptions } from '../filter-options.js';
import { formatJob, formatJobList, formatStats, type RelatedJobs } from '../format.js';
import { UsageError } from '../usage-error.js';

/** Checks a job id argument: 24 hexadecimal digits. */
export function idArgument(text: string): string {
  try {
    return jobIdOf(text);
  } catch {
    throw new UsageError(`${JSON.stringify(text)} is not a job id (24 hexadecimal digits)`);
  }
}

/** The most dependencies or dependents `show` lists. */
const PAGE = { limit: 1000 };

/** `--limit`: a whole number from 1 to 1000. */
export function limitOf(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1000) {
    throw new UsageError(`--limit: ${JSON.stringify(text)} is not a whole number from 1 to 1000`);
  }
  return Number(text);
}

/**
 * `--cursor`: the shape of a cursor `list` printed (base64url of a JSON object). What it points to
 * is checked by Monque once connected; a cursor it refuses is a usage error too.
 */
export function checkCursor(text: string): void {
  let decoded: unknown;
  if (/^[A-Za-z0-9_-]{1,300}$/.test(text)) {
    try {
      decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    throw new UsageError(`--cursor: ${JSON.stringify(text.slice(0, 100))} is not a cursor printed by monque list`);
  }
}

/** A failure to report with exit code 1 (e.g. an unknown job). */
export class CommandFailed extends Error {}

/** Adds `stats`, `list` and `show` to `program`. */
export function registerInspectCommands(program: Command, io: CliIo): void {
  const now = (): Date => io.now?.() ?? new Date();

  addCommonOptions(program.command('stats').description('counts by status for each job name, with due jobs and pauses'))
    .option('--name <name>', 'only this job name')
    .action(async (options: CommonOptions & { name?: string }) => {
      const result = await withMonque(io, options, async (monque) => {
        const [stats, paused] = await Promise.all([
          monque.getStats(options.name ? { name: options.name } : undefined),
          monque.getPaused(),
        ]);
        return { ...stats, paused };
      });
      // With --name, the table has that name's row only (a pause of another name is not shown).
      const only = (paused: PausedState): PausedState =>
        options.name && paused !== 'all' ? paused.filter((name) => name === options.name) : paused;
      print(io, options, result, (value) => formatStats(value, only(value.paused), now()));
    });

  addFilterOptions(addCommonOptions(program.command('list').description('jobs matching the filters, newest first')))
    .option('--limit <n>', 'jobs per page, 1 to 1000', '50')
    .option('--cursor <cursor>', 'the next page (printed after a full page)')
    .action(async (options: CommonOptions & FilterOptions & { limit: string; cursor?: string }) => {
      // Checked before connecting: a mistake in the command line is a usage error, whatever the server.
      const limit = limitOf(options.limit);
      if (options.cursor !== undefined) checkCursor(options.cursor);
      const query = queryFromOptions(options, now());
      const page = await withMonque(io, options, (monque) =>
        monque.getJobs(query, { limit, ...(options.cursor ? { cursor: options.cursor } : {}) }),
      );
      print(io, options, page, (value) =>
        value.nextCursor
          ? `${formatJobList(value.jobs)}\n\nmore: --cursor ${value.nextCursor}`
          : formatJobList(value.jobs),
      );
    });

  addCommonOptions(
    program
      .command('show')
      .description('one job: its fields, data, progress and result, its dependencies and dependents'),
  )
    .argument('<id>', 'the job id (24 hexadecimal digits)', idArgument)
    .action(async (id: string, options: CommonOptions) => {
      const found = await withMonque(io, options, async (monque) => {
        const job = await monque.getJob(id);
        if (!job) return null;
        const related: RelatedJobs = { dependencies: [], dependents: [] };
        if (job.dependsOn?.length) related.dependencies = (await monque.getJobs({ ids: job.dependsOn }, PAGE)).jobs;
        if (job.dependents) related.dependents = (await monque.getJobs({ dependsOn: id }, PAGE)).jobs;
        if (job.flowId) {
          const { total } = await monque.getStats({ flowId: job.flowId });
          related.flow = {
            id: job.flowId.toHexString(),
            total,
            size: JOB_STATUSES.reduce((sum, status) => sum + total[status], 0),
          };
        }
        return { job, related };
      });
      if (!found) throw new CommandFailed(`no job with id ${id}`);
      print(io, options, found.job, (job) => formatJob(job, found.related));
    });
}
