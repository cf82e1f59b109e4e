// An ES module application of the built @monque/core: enqueues and runs one job with the default
// `telemetry` option, with an SDK tracer provider registered when `sdk` is passed, and prints
// what happened as JSON. Run by packed-build.test.ts with MONGODB_URI set.
import { Monque } from '@monque/core';
import { MongoClient } from 'mongodb';

let exporter;
if (process.argv[2] === 'sdk') {
  const { trace } = await import('@opentelemetry/api');
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import(
    '@opentelemetry/sdk-trace-base'
  );
  exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
}
const client = await new MongoClient(process.env.MONGODB_URI).connect();
const db = client.db(process.env.MONQUE_DB);
const monque = new Monque(db, { collectionName: process.env.MONQUE_COLLECTION, pollInterval: 50 });
monque.worker('hello', async (job) => `hi ${job.data.who}`);
const done = new Promise((resolve) => monque.once('job:complete', resolve));
const job = await monque.enqueue('hello', { who: 'esm' });
await monque.start();
const { result } = await done;
const stored = await db.collection(process.env.MONQUE_COLLECTION).findOne({ _id: job._id });
await monque.stop();
await client.close();
const spans = (exporter?.getFinishedSpans() ?? []).map((span) => ({
  name: span.name,
  links: span.links.length,
  parent: span.parentSpanContext?.spanId ?? null,
  spanId: span.spanContext().spanId,
}));
console.log(JSON.stringify({ result, trace: stored.trace ?? null, spans }));
