/**
 * A request-scoped processor: one instance per job, with the job injected; and a service that
 * reaches the running job without being passed it.
 */
import {
  currentJob,
  currentJobContext,
  JOB_REF,
  type Job,
  type JobFailEvent,
  type MonqueProcessor,
  OnJobEvent,
  Processor,
} from '@monque/nestjs';
import { Inject, Injectable, Logger, Scope } from '@nestjs/common';

export type ImportData = { tenantId: string; file: string };

// #region scoped
/** Request-scoped: built for each job, with the job as its request (JOB_REF). */
@Injectable({ scope: Scope.REQUEST })
export class TenantContext {
  constructor(@Inject(JOB_REF) private readonly job: Job<ImportData>) {}

  get tenantId(): string {
    return this.job.data.tenantId;
  }
}

/** Any singleton service: the running job and its signal are reachable from here. */
@Injectable()
export class Importer {
  async importFile(file: string): Promise<number> {
    const run = currentJobContext(); // undefined outside a job
    run?.signal.throwIfAborted();
    await run?.progress({ file, done: true });
    return file.length;
  }
}

/** Depends on a request-scoped provider, so it is request-scoped too: one instance per job. */
@Processor<{ 'import-file': ImportData }>('import-file', { concurrency: 4 })
export class ImportProcessor implements MonqueProcessor<ImportData, { tenantId: string; rows: number }> {
  private readonly logger = new Logger(ImportProcessor.name);

  constructor(
    private readonly tenant: TenantContext,
    private readonly importer: Importer,
  ) {}

  async process(job: Job<ImportData>) {
    const rows = await this.importer.importFile(job.data.file);
    return { tenantId: this.tenant.tenantId, rows };
  }

  /** On a processor, an @OnJobEvent method hears the events of its own job name only. */
  @OnJobEvent('job:fail')
  onFail({ job, error }: JobFailEvent): void {
    this.logger.warn(`import ${job._id.toHexString()} (${currentJob()?.name ?? 'outside a job'}): ${error.message}`);
  }
}
// #endregion scoped
