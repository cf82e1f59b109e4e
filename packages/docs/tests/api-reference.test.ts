/**
 * The generated API reference on the built site: the `Monque` class page lists Monque's own
 * members, not the ~20 it inherits from Node's EventEmitter (typedoc.config.mjs: excludeExternals).
 */
import { describe, expect, it } from 'vitest';
import { readBuiltPage } from './support/built-site.js';

const EVENT_EMITTER_ONLY = [
  'addlistener',
  'prependlistener',
  'prependoncelistener',
  'removelistener',
  'removealllisteners',
  'listeners',
  'rawlisteners',
  'listenercount',
  'eventnames',
  'setmaxlisteners',
  'getmaxlisteners',
  'capturerejections',
  'defaultmaxlisteners',
  'errormonitor',
  'geteventlisteners',
  'addabortlistener',
];

/** The ids of the page's member headings (`<h3 id="enqueue">`). */
function memberIds(html: string): string[] {
  return [...html.matchAll(/<h3 id="([^"]+)"/g)].map((match) => match[1] ?? '');
}

describe.each(['core', 'tsed', 'nestjs'])('the @monque/%s Monque class page', (pkg) => {
  it("lists Monque's own members, and none inherited from EventEmitter", () => {
    const ids = memberIds(readBuiltPage(`api/reference/@monque/${pkg}/classes/Monque`));

    expect(ids).toEqual(
      expect.arrayContaining(['enqueue', 'schedule', 'worker', 'start', 'stop', 'on', 'once', 'off']),
    );
    expect(ids.filter((id) => EVENT_EMITTER_ONLY.includes(id.replace(/-\d+$/, '')))).toEqual([]);
  });
});
