/**
 * A service deep in a job's call chain reaches the run's signal and progress.
 */
// #region run-context
import { currentJob, currentJobContext, Job } from '@monque/tsed';
import { Injectable, inject } from '@tsed/di';

@Injectable()
export class ReportRenderer {
  async render(pages: number): Promise<number> {
    const run = currentJobContext(); // undefined outside a job
    for (let page = 1; page <= pages; page += 1) {
      run?.signal.throwIfAborted(); // the run was timed out, cancelled, lost, or stop() gave up
      await run?.progress({ page, of: pages });
    }
    console.log(`rendered ${pages} pages for job ${currentJob()?._id.toHexString()}`);
    return pages;
  }
}

@Job({ name: 'render-report', timeout: 120_000 })
export class RenderReportJob {
  private readonly renderer = inject(ReportRenderer);

  async handle(data: { pages: number }) {
    return { pages: await this.renderer.render(data.pages) };
  }
}
// #endregion run-context
