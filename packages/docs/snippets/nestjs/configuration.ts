/**
 * Configuring MonqueModule from other providers: forRootAsync with useFactory, useClass, and a
 * client the application owns.
 */
import { MonqueModule, type MonqueModuleOptions, type MonqueOptionsFactory } from '@monque/nestjs';
import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { MongoClient } from 'mongodb';

// #region factory
@Module({
  imports: [
    ConfigModule.forRoot(),
    MonqueModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        uri: config.getOrThrow<string>('MONGODB_URI'), // the module connects, and closes on shutdown
        defaultConcurrency: Number(config.get('JOB_CONCURRENCY', '5')),
        shutdownTimeout: 25_000,
      }),
    }),
  ],
})
export class FactoryAppModule {}
// #endregion factory

// #region class
@Injectable()
export class MonqueConfigService implements MonqueOptionsFactory {
  constructor(private readonly config: ConfigService) {}

  createMonqueOptions(): MonqueModuleOptions {
    return { uri: this.config.getOrThrow<string>('MONGODB_URI'), collectionName: 'jobs' };
  }
}

@Module({
  imports: [
    ConfigModule.forRoot(),
    MonqueModule.forRootAsync({ imports: [ConfigModule], useClass: MonqueConfigService }),
  ],
})
export class ClassAppModule {}
// #endregion class

// #region own-client
export const MONGO_CLIENT = 'MONGO_CLIENT';

/** The application's client: its other modules use it too. Closed last, on application shutdown. */
@Module({
  providers: [
    {
      provide: MONGO_CLIENT,
      useFactory: () => new MongoClient(process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/shop').connect(),
    },
  ],
  exports: [MONGO_CLIENT],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(MONGO_CLIENT) private readonly client: MongoClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.close(); // Monque has drained by now (it stops in beforeApplicationShutdown)
  }
}

@Module({
  imports: [
    DatabaseModule,
    MonqueModule.forRootAsync({
      imports: [DatabaseModule],
      inject: [MONGO_CLIENT],
      useFactory: (client: MongoClient) => ({ client, dbName: 'shop' }), // or { db: client.db('shop') }
    }),
  ],
})
export class OwnClientAppModule {}
// #endregion own-client
