/** The commands that change jobs: `retry`, `cancel`, `delete`, `pause`, `resume`, `purge`. */
import type { BulkResult, Job, JobQuery, JobStatusType, Monque } from '@monque/core';
import type { Command } from 'commander';
import { addCommonOptions, type CliIo, type CommonOptions, print, withMonque } from '../cli-context.js';
import { formatDuration, parseDuration } from '../duration.js';
import { addFilterOptions, type FilterOptions, hasFilter, queryFromOptions } from '../filter-options.js';
import { UsageError } from '../usage-error.js';
import { visible } from '../visible.js';
import { CommandFailed, idArgument } from './inspect.js';

type TargetOptions = CommonOptions & FilterOptions & { all?: boolean; reason?: string; yes?: boolean };

interface JobAction {
  readonly name: 'retry' | 'cancel' | 'delete';
  readonly description: string;
  /** The statuses `--all` changes, when it must be confirmed (`--yes`, or a question on a terminal). */
  readonly confirmAll?: readonly JobStatusType[];
  readonly one: (monque: Monque, id: string, options: TargetOptions) => Promise<Job | boolean | null>;
  readonly many: (monque: Monque, query: JobQuery, options: TargetOptions) => Promise<BulkResult>;
  readonly done: string;
}

const ACTIONS: readonly JobAction[] = [
  {
    name: 'retry',
    description: 'run failed or cancelled jobs again (one by id, or every job matching the filters)',
    one: (monque, id) => monque.retryJob(id),
    many: (monque, query) => monque.retryJobs(query),
    done: 'retried',
  },
  {
    name: 'cancel',
    description:
      'cancel waiting and pending jobs, and ask running ones to stop (one by id, or every job matching the filters)',
    confirmAll: ['waiting', 'pending', 'processing'],
    one: (monque, id, options) => monque.cancelJob(id, options.reason ? { reason: options.reason } : undefined),
    many: (monque, query, options) => monque.cancelJobs(query, options.reason ? { reason: options.reason } : undefined),
    done: 'cancelled',
  },
  {
    name: 'delete',
    description: 'delete jobs that are not running (one by id, or every job matching the filters)',
    confirmAll: ['waiting', 'pending', 'completed', 'failed', 'cancelled'],
    one: (monque, id) => monque.deleteJob(id),
    many: (monque, query) => monque.deleteJobs(query),
    done: 'deleted',
  },
];

function registerJobAction(program: Command, io: CliIo, action: JobAction): void {
  const command = addFilterOptions(addCommonOptions(program.command(action.name).description(action.description)))
    .argument('[id]', 'the job id; leave it out to act on every job matching the filters', idArgument)
    .option('--all', 'act on every job (instead of an id or filters)');
  if (action.confirmAll) command.option('--yes', `${action.name} --all without asking (for scripts)`);
  if (action.name === 'cancel') command.option('--reason <text>', 'why, stored on the job');
  command.action(async (id: string | undefined, options: TargetOptions) => {
    if (id !== undefined && (hasFilter(options) || options.all)) {
      throw new UsageError('give a job id or filters (or --all), not both');
    }
    // As `{ "all": true }` with filters is a 400 in the API: --all means every job, so a filter
    // beside it is either a mistake or a narrower command written wrongly.
    if (options.all && hasFilter(options)) {
      throw new UsageError(`${action.name}: give --all or filters, not both (--all acts on every job)`);
    }
    if (id === undefined && !hasFilter(options) && !options.all) {
      throw new UsageError(`${action.name}: give a job id, filters (--name, --status, --data …) or --all`);
    }
    if (id !== undefined) {
      const outcome = await withMonque(io, options, (monque) => action.one(monque, id, options));
      if (outcome === null || outcome === false) throw new CommandFailed(`no job with id ${id}`);
      const value = outcome === true ? { deleted: true, id } : outcome;
      print(io, options, value, () =>
        outcome === true ? `${action.done} ${id}` : `${action.done} ${id}: now ${visible((outcome as Job).status)}`,
      );
      return;
    }
    const query = queryFromOptions(options, io.now?.() ?? new Date());
    const confirmAll = options.all && !options.yes ? action.confirmAll : undefined;
    if (confirmAll && !io.confirm) {
      throw new UsageError(
        `${action.name} --all acts on every job: add --yes to confirm (there is no terminal to ask)`,
      );
    }
    const result = await withMonque(io, options, async (monque) => {
      if (confirmAll && io.confirm) {
        const count = await monque.countJobs({ status: [...confirmAll] });
        const where = `collection ${options.collection ?? 'monque_jobs'}`;
        const question = `${action.name} every job: ${count} job${count === 1 ? '' : 's'} in ${visible(where)} would be ${action.done}. Continue? [y/N] `;
        if (!(await io.confirm(question))) throw new CommandFailed(`not confirmed: nothing was ${action.done}`);
      }
      return action.many(monque, query, options);
    });
    print(io, options, result, (value) => `${action.done} ${value.count} job${value.count === 1 ? '' : 's'}`);
  });
}

function registerPauseCommand(program: Command, io: CliIo, verb: 'pause' | 'resume'): void {
  addCommonOptions(
    program
      .command(verb)
      .description(
        verb === 'pause'
          ? 'stop every instance claiming jobs of a name (running jobs finish); stored in the database'
          : 'let instances claim jobs of a name again',
      ),
  )
    .argument('[name]', 'the job name')
    .option('--all', `${verb} every job name`)
    .action(async (name: string | undefined, options: CommonOptions & { all?: boolean }) => {
      if ((name === undefined) === !options.all)
        throw new UsageError(`${verb}: give a job name or --all (one of them)`);
      const paused = await withMonque(io, options, async (monque) => {
        await monque[verb](name);
        return monque.getPaused();
      });
      const what = name === undefined ? 'every job name' : visible(name);
      print(io, options, { paused }, (value) => {
        // Paused names come from the database: escaped like every other text from it.
        const now =
          value.paused === 'all'
            ? 'everything'
            : value.paused.length
              ? value.paused.map((each) => visible(each)).join(', ')
              : 'nothing';
        return `${verb === 'pause' ? 'paused' : 'resumed'} ${what}; paused now: ${now}`;
      });
    });
}

const FINISHED: readonly JobStatusType[] = ['completed', 'failed', 'cancelled'];

function registerPurgeCommand(program: Command, io: CliIo): void {
  addCommonOptions(program.command('purge').description('delete finished jobs older than a duration'))
    .requiredOption('--older-than <duration>', 'finished more than this long ago: 7d, 12h, 30m, 2w')
    .option('--status <status>', `finished status to delete: ${FINISHED.join(', ')} (repeatable)`, collectStatus)
    .option('--name <name>', 'only jobs of this name')
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .action(
      async (options: CommonOptions & { olderThan: string; status?: string[]; name?: string; dryRun?: boolean }) => {
        const age = parseDuration(options.olderThan);
        const statuses = (options.status ?? ['completed']) as JobStatusType[];
        const now = io.now?.() ?? new Date();
        const query: JobQuery = {
          status: statuses.length === 1 ? statuses[0] : statuses,
          finishedBefore: new Date(now.getTime() - age),
          ...(options.name ? { name: options.name } : {}),
        };
        const result = await withMonque(io, options, async (monque) =>
          options.dryRun ? { count: await monque.countJobs(query), dryRun: true } : monque.deleteJobs(query),
        );
        print(io, options, result, (value) => {
          const what = `${statuses.join('/')} job${value.count === 1 ? '' : 's'} finished more than ${formatDuration(age)} ago`;
          return options.dryRun ? `would delete ${value.count} ${what}` : `deleted ${value.count} ${what}`;
        });
      },
    );
}

function collectStatus(value: string, previous: string[] | undefined): string[] {
  const statuses = value.split(',').map((status) => status.trim());
  for (const status of statuses) {
    if (!(FINISHED as readonly string[]).includes(status)) {
      throw new UsageError(
        `--status: purge deletes finished jobs only (${FINISHED.join(', ')}), not ${JSON.stringify(status)}`,
      );
    }
  }
  return [...(previous ?? []), ...statuses];
}

/** Adds `retry`, `cancel`, `delete`, `pause`, `resume` and `purge` to `program`. */
export function registerControlCommands(program: Command, io: CliIo): void {
  for (const action of ACTIONS) registerJobAction(program, io, action);
  registerPauseCommand(program, io, 'pause');
  registerPauseCommand(program, io, 'resume');
  registerPurgeCommand(program, io);
}
