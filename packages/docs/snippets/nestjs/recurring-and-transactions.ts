/**
 * A recurring job registered at boot, and a job enqueued inside the application's own transaction.
 */
import { InjectMonque, type Monque } from '@monque/nestjs';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { MongoClient } from 'mongodb';
import { MONGO_CLIENT } from './configuration.js';

type Jobs = { 'nightly-report': Record<string, never>; 'ship-order': { orderId: string } };

// #region recurring
@Injectable()
export class ReportSchedule implements OnApplicationBootstrap {
  constructor(@InjectMonque() private readonly monque: Monque<Jobs>) {}

  /** Every boot of every instance updates the one recurring job; none adds a second. */
  async onApplicationBootstrap(): Promise<void> {
    await this.monque.schedule('0 3 * * *', 'nightly-report', {}, { timezone: 'Europe/Berlin' });
  }
}
// #endregion recurring

// #region transaction
@Injectable()
export class OrderService {
  constructor(
    @Inject(MONGO_CLIENT) private readonly client: MongoClient,
    @InjectMonque() private readonly monque: Monque<Jobs>,
  ) {}

  /** The order and its shipping job exist together or not at all. */
  async placeOrder(orderId: string): Promise<void> {
    await this.client.withSession((session) =>
      session.withTransaction(async () => {
        await this.client.db('shop').collection('orders').insertOne({ orderId }, { session });
        await this.monque.enqueue('ship-order', { orderId }, { session });
      }),
    );
  }
}
// #endregion transaction
