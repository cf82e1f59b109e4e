/**
 * The compatibility smoke test's application, in plain JavaScript (decorators applied as functions,
 * so it needs no compiler): a controller enqueues, a processor with an injected service runs the
 * job, a request-scoped processor gets one instance per job, an @OnJobEvent listener hears the
 * completions, and closing the application lets a running job finish. The packages are passed in,
 * so that smoke.cjs (require) and smoke.mjs (import) run the same application on either build.
 */
module.exports = async function runSmoke({ common, core, nestjs, uri, nestVersion }) {
  const { Body, Controller, Inject, Injectable, Module, Post, Scope } = common;
  const { NestFactory } = core;
  const { InjectMonque, JOB_REF, Monque, MonqueModule, OnJobEvent, Processor } = nestjs;
  const method = (target, key) => Object.getOwnPropertyDescriptor(target.prototype, key);

  class Greeter {
    greet(name) {
      return `hello ${name}`;
    }
  }
  Injectable()(Greeter);

  class GreetProcessor {
    constructor(greeter) {
      this.greeter = greeter;
    }
    process(job) {
      return this.greeter.greet(job.data.name);
    }
  }
  Processor('greet')(GreetProcessor);
  Inject(Greeter)(GreetProcessor, undefined, 0);

  let serial = 0;
  class ScopedProcessor {
    constructor(jobRef) {
      this.jobRef = jobRef;
      this.serial = ++serial;
    }
    process(job) {
      return { serial: this.serial, jobRefIsTheJob: this.jobRef._id.equals(job._id) };
    }
  }
  Processor({ name: 'scoped', scope: Scope.REQUEST })(ScopedProcessor);
  Inject(JOB_REF)(ScopedProcessor, undefined, 0);

  class SlowProcessor {
    process() {
      return new Promise((resolve) => setTimeout(() => resolve('slow done'), 400));
    }
  }
  Processor('slow')(SlowProcessor);

  const heard = [];
  class JobEvents {
    onComplete({ job }) {
      heard.push(job.name);
    }
  }
  Injectable()(JobEvents);
  OnJobEvent('job:complete')(JobEvents.prototype, 'onComplete', method(JobEvents, 'onComplete'));

  class JobsController {
    constructor(monque) {
      this.monque = monque;
    }
    async create(body) {
      const job = await this.monque.enqueue(body.name, body.data);
      return { id: job._id.toHexString() };
    }
  }
  Controller('jobs')(JobsController);
  InjectMonque()(JobsController, undefined, 0);
  Post()(JobsController.prototype, 'create', method(JobsController, 'create'));
  Body()(JobsController.prototype, 'create', 0);

  class AppModule {}
  Module({
    imports: [MonqueModule.forRoot({ uri, collectionName: `smoke_${process.pid}`, pollInterval: 50 })],
    controllers: [JobsController],
    providers: [Greeter, GreetProcessor, ScopedProcessor, SlowProcessor, JobEvents],
  })(AppModule);

  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const monque = app.get(Monque);
  const results = new Map();
  const completed = (count) =>
    new Promise((resolve) => {
      const listener = ({ job, result }) => {
        results.set(job._id.toHexString(), result);
        if (results.size === count) {
          monque.off('job:complete', listener);
          resolve();
        }
      };
      monque.on('job:complete', listener);
    });
  const post = async (name, data) => {
    const response = await fetch(`${url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, data }),
    });
    return (await response.json()).id;
  };

  const threeDone = completed(3);
  const greetId = await post('greet', { name: 'Ada' });
  const scopedIds = [await post('scoped', {}), await post('scoped', {})];
  await threeDone;

  const slowStarted = new Promise((resolve) => monque.once('job:start', resolve));
  const slowId = await post('slow', {});
  await slowStarted;
  await app.close();
  // The module owned its client (uri) and closed it: read the outcome with another one.
  const { MongoClient, ObjectId } = require('mongodb');
  const client = await new MongoClient(uri).connect();
  const jobs = client.db().collection(monque.options.collectionName);
  const slow = await jobs.findOne({ _id: new ObjectId(slowId) });
  await jobs.deleteMany({});
  await client.close();

  return {
    nest: nestVersion,
    greet: results.get(greetId),
    scoped: scopedIds.map((id) => results.get(id)),
    heard: [...heard].sort(),
    slowAfterClose: slow?.status,
    runningAfterClose: monque.isRunning,
  };
};
