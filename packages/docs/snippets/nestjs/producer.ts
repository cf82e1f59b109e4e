/**
 * Processes with other roles: an API that only enqueues, and a worker that starts when it decides.
 */
import { InjectMonque, type Monque, MonqueModule } from '@monque/nestjs';
import { Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';

// #region producer
/** The API process: it enqueues and operates the queue; another deployment runs the jobs. */
@Module({
  imports: [MonqueModule.forRoot({ uri: process.env.MONGODB_URI, worker: false })],
})
export class ApiModule {}
// #endregion producer

// #region manual
/** Starts the workers once the application says so (here: after a data migration). */
@Injectable()
export class StartWorkersWhenReady implements OnApplicationBootstrap {
  constructor(@InjectMonque() private readonly monque: Monque) {}

  async onApplicationBootstrap(): Promise<void> {
    await migrateData();
    await this.monque.start(); // processors were registered at bootstrap; MonqueModule still stops it on shutdown
  }
}

@Module({
  imports: [MonqueModule.forRoot({ uri: process.env.MONGODB_URI, manualStart: true })],
  providers: [StartWorkersWhenReady],
})
export class WorkerModule {}
// #endregion manual

async function migrateData(): Promise<void> {}
