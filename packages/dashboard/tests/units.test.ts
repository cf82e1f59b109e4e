/**
 * The pure parts: how a typed data filter is read (shared by the API, the CLI and the UI), how
 * durations are read and printed, and how BSON values become JSON.
 */
import { Binary, Decimal128, Long, ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { toJson } from '../src/api/to-json.js';
import { formatDuration, parseDuration } from '../src/cli/duration.js';
import { formatJob, formatJobList, formatStats } from '../src/cli/format.js';
import { maskUri } from '../src/cli/mongo-uri.js';
import { CLI_VERSION } from '../src/cli/program.js';
import { formatTable } from '../src/cli/table.js';
import { checkDataPath, parseDataFilter, parseDataValue } from '../src/shared/data-filter.js';
import { parseIsoTime } from '../src/shared/iso-time.js';
import { findUiDirectory, loadUiAssets } from '../src/static/ui-assets.js';

describe('parseDataValue', () => {
  it('types numbers, booleans and null, and keeps other text', () => {
    const cases: Array<[string, unknown]> = [
      ['42', 42],
      ['-1.5', -1.5],
      ['1e3', 1000],
      ['true', true],
      ['false', false],
      ['null', null],
      ['"42"', '42'],
      ['"true"', 'true'],
      ['"say \\"hi\\""', 'say "hi"'],
      ['Ada', 'Ada'],
      ['042', '042'],
      ['1,5', '1,5'],
      ['', ''],
      ['0x10', '0x10'],
    ];
    for (const [text, value] of cases) expect(parseDataValue(text), text).toEqual({ ok: true, value });
  });

  it('refuses objects, arrays (operators included) and broken quotes', () => {
    for (const text of ['{"$ne":null}', '[1,2]', '{}', '"unclosed', '"a" "b"']) {
      expect(parseDataValue(text).ok, text).toBe(false);
    }
  });
});

describe('parseDataFilter and checkDataPath', () => {
  it('reads path = value with or without spaces', () => {
    expect(parseDataFilter('customer.id = 42')).toEqual({ ok: true, value: { path: 'customer.id', value: 42 } });
    expect(parseDataFilter('a=b=c')).toEqual({ ok: true, value: { path: 'a', value: 'b=c' } });
  });

  it('refuses a missing =, empty segments and $-prefixed names', () => {
    for (const text of ['customer.id', '=1', 'a..b=1', '.a=1', 'a.=1', '$where=1', 'a.$gt=1', 'a\u0000b=1']) {
      expect(parseDataFilter(text).ok, text).toBe(false);
    }
    expect(checkDataPath('a'.repeat(201)).ok).toBe(false);
    expect(checkDataPath('a$.b').ok).toBe(true);
  });
});

describe('parseIsoTime', () => {
  it('reads ISO 8601 dates and zoned date-times, and nothing else', () => {
    const iso = (text: string) => {
      const parsed = parseIsoTime(text);
      return parsed.ok ? parsed.value.toISOString() : `refused: ${parsed.error}`;
    };
    expect(iso('2025-01-31')).toBe('2025-01-31T00:00:00.000Z');
    expect(iso('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    expect(iso('2025-01-31T12:00Z')).toBe('2025-01-31T12:00:00.000Z');
    expect(iso('2025-01-31 12:00:05.25+02:00')).toBe('2025-01-31T10:00:05.250Z');
    expect(iso('2025-01-31T12:00:05.123456-0130')).toBe('2025-01-31T13:30:05.123Z');
    for (const text of ['7', '2025', '1717200000000', '01/12/2025', '2025-02-30', '2025-02-29', '2025-00-10']) {
      expect(iso(text), text).toMatch(/^refused: .* is not a time \(ISO 8601/);
    }
    for (const text of ['2025-01-31T24:00Z', '2025-01-31T12:60Z', '2025-01-31T12:00+24:00', 'June 1, 2025', '']) {
      expect(iso(text), text).toMatch(/^refused: /);
    }
    expect(iso('2025-01-31T12:00')).toMatch(/^refused: .* has no time zone/);
  });
});

describe('maskUri', () => {
  it('masks the user info and the value of every password, secret or token option', () => {
    expect(
      maskUri('mongodb://ops:pa/ss@db.example:27017/app?tls=true&tlsCertificateKeyFilePassword=k&proxyPassword=p'),
    ).toBe('mongodb://***@db.example:27017/app?tls=true&tlsCertificateKeyFilePassword=***&proxyPassword=***');
    expect(maskUri('mongodb+srv://db.example/app?authMechanismProperties=AWS_SESSION_TOKEN:t&appName=x')).toBe(
      'mongodb+srv://db.example/app?authMechanismProperties=***&appName=x',
    );
    expect(maskUri('mongodb://127.0.0.1:27017/app')).toBe('mongodb://127.0.0.1:27017/app');
  });
});

describe('durations', () => {
  it('reads and prints them', () => {
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    for (const text of ['7', 'd', '7 days', '-1d', ''])
      expect(() => parseDuration(text), text).toThrow(/not a duration/);
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(90_000)).toBe('1m 30s');
    expect(formatDuration(604_800_000)).toBe('7d');
    expect(formatDuration(93_784_000)).toBe('1d 2h');
  });
});

describe('toJson', () => {
  it('turns ids, dates and other BSON values into plain JSON', () => {
    const id = new ObjectId();
    const value = toJson({
      _id: id,
      at: new Date('2025-01-02T03:04:05.006Z'),
      nested: { ids: [id], long: Long.fromString('9007199254740993'), dec: Decimal128.fromString('1.10') },
      bin: new Binary(Buffer.from('abc')),
      skipped: undefined,
      fn: () => 1,
      nan: Number.NaN,
      big: 10n,
    });
    expect(value).toEqual({
      _id: id.toHexString(),
      at: '2025-01-02T03:04:05.006Z',
      nested: { ids: [id.toHexString()], long: '9007199254740993', dec: '1.10' },
      bin: '<binary, 3 bytes>',
      nan: 'NaN',
      big: '10',
    });
  });

  it('keeps keys named like members of every object (__proto__, constructor) as keys', () => {
    const data = JSON.parse('{"__proto__":{"secret":1},"constructor":"c","visible":2}');
    const value = toJson({ data });
    expect(JSON.stringify(value)).toBe('{"data":{"__proto__":{"secret":1},"constructor":"c","visible":2}}');
    expect(Object.getPrototypeOf((value as { data: object }).data)).toBe(Object.prototype);
  });

  it('stops at a depth limit instead of overflowing the stack', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let index = 0; index < 200; index += 1) {
      deep.next = {};
      deep = deep.next as Record<string, unknown>;
    }
    expect(JSON.stringify(toJson(root))).toContain('<nested too deeply>');
  });
});

describe('formatTable', () => {
  it('pads columns and cuts long cells', () => {
    expect(
      formatTable(
        ['A', 'BB'],
        [
          ['1', 'x'.repeat(10)],
          ['long cell', 'y'],
        ],
        5,
      ),
    ).toBe(['A      BB', '1      xxxx…', 'long…  y'].join('\n'));
  });
});

describe('CLI formatting', () => {
  const at = new Date('2025-06-10T12:00:00.000Z');
  const id = new ObjectId('665f1c2e9b1d4a0012345678');

  it('shows every field a job has, and leaves out those it has not', () => {
    const text = formatJob({
      _id: id,
      name: 'report',
      data: { customer: { id: 42 } },
      status: 'processing',
      nextRunAt: at,
      priority: 5,
      lockedAt: at,
      failCount: 1,
      attempts: 2,
      maxRetries: 3,
      failReason: 'timeout',
      repeatInterval: '0 3 * * *',
      timezone: 'Europe/Paris',
      uniqueKey: 'nightly',
      owner: 'host-1',
      startedAt: at,
      cancelRequestedAt: at,
      cancelReason: 'stop',
      progress: { step: 2 },
      result: { pages: 3 },
      createdAt: at,
      updatedAt: at,
    });
    const fields: Array<[string, string]> = [
      ['id', '665f1c2e9b1d4a0012345678'],
      ['priority', '5'],
      ['max retries', '3'],
      ['cron', '0 3 * * * (Europe/Paris)'],
      ['unique key', 'nightly'],
      ['owner', 'host-1'],
      ['locked at', '2025-06-10 12:00:00Z'],
      ['cancel requested', '2025-06-10 12:00:00Z'],
      ['cancel reason', 'stop'],
    ];
    for (const [label, value] of fields) {
      const line = text.split('\n').find((candidate) => candidate.startsWith(`${label}:`));
      expect(line?.replace(/:\s+/, ': '), label).toBe(`${label}: ${value}`);
    }
    expect(text).toContain('progress:\n{\n  "step": 2\n}');
    expect(text).toContain('result:\n{\n  "pages": 3\n}');
    const bare = formatJob({
      _id: id,
      name: 'x',
      data: null,
      status: 'pending',
      nextRunAt: at,
      lockedAt: null,
      failCount: 0,
      createdAt: at,
      updatedAt: at,
    });
    expect(bare).not.toMatch(/priority|owner|progress|result|cron/);
    expect(bare).toMatch(/^attempts:\s+0$/m);
  });

  it('prints empty lists and stats, and a note when everything is paused', () => {
    expect(formatJobList([])).toBe('no matching jobs');
    const empty = { waiting: 0, pending: 0, due: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 };
    expect(formatStats({ total: empty, byName: {} }, [], at)).toBe('no jobs');
    const stats = {
      total: { ...empty, pending: 1, due: 1 },
      byName: { a: { ...empty, pending: 1, due: 1, oldestDueAt: new Date(at.getTime() - 65_000) } },
    };
    const text = formatStats(stats, 'all', at);
    expect(text).toMatch(/^a\s+0\s+1\s+1\s+0\s+0\s+0\s+0\s+1m 5s\s+yes$/m);
    expect(text).toContain('every job name is paused');
  });
});

describe('UI assets', () => {
  it('finds the built UI from the bundle or from source, and nothing elsewhere', () => {
    expect(findUiDirectory('/nonexistent/dist')).toBeUndefined();
    expect(loadUiAssets(undefined).size).toBe(0);
    const assets = loadUiAssets(findUiDirectory());
    expect(assets.get('index.html')?.contentType).toBe('text/html; charset=utf-8');
    expect([...assets.keys()].every((key) => !key.includes('..') && !key.startsWith('/'))).toBe(true);
  });
});

it('prints the package version with --version', () => {
  expect(CLI_VERSION).toBe(packageJson.version);
});
