import { describe, expect, it } from 'vitest';
import {
  formatLsn,
  formatSize,
  parseBandwidth,
  parseDuration,
  parseLsn,
  parseRate,
  parseSize,
  parseTime,
  parseTimeZone,
  type Parsed,
} from '../../src/scenario/units.ts';
import { closest, editDistance } from '../../src/scenario/errors.ts';

function value<T>(r: Parsed<T>): T {
  if (!r.ok) throw new Error(`expected a value, got: ${r.reason}`);
  return r.value;
}

function failure<T>(r: Parsed<T>): { reason: string; hint?: string } {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.value)}`);
  return r.hint === undefined ? { reason: r.reason } : { reason: r.reason, hint: r.hint };
}

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000_000],
    ['1h30m', 5_400_000_000],
    ['250ms', 250_000],
    ['100us', 100],
    ['1.5s', 1_500_000],
    ['2min', 120_000_000],
    ['1d', 86_400_000_000],
    ['1w', 604_800_000_000],
    ['1h 30m 15s', 5_415_000_000],
    [' 5 s ', 5_000_000],
    [0, 0],
    ['0', 0],
  ] as const)('%s', (text, us) => {
    expect(value(parseDuration(text))).toBe(us);
  });

  it('rejects a bare number with a hint', () => {
    expect(failure(parseDuration(90))).toEqual({ reason: '"90" has no unit', hint: 'did you mean "90s"?' });
    expect(failure(parseDuration('500', { bareUnit: 'ms' })).hint).toBe('did you mean "500ms"?');
  });

  it('suggests units for typos and long spellings', () => {
    expect(failure(parseDuration('10sec')).hint).toBe('did you mean "10s"?');
    expect(failure(parseDuration('5 minutes')).hint).toBe('did you mean "5min"?');
    expect(failure(parseDuration('3hr')).hint).toBe('did you mean "3h"?');
    expect(failure(parseDuration('100y')).hint).toBe('durations have no year unit: did you mean "36500d"?');
    expect(failure(parseDuration('2years')).hint).toBe('durations have no year unit: did you mean "730d"?');
    expect(failure(parseDuration('10S')).hint).toBe('did you mean "10s"?');
    expect(failure(parseDuration('10mss')).hint).toBe('did you mean "10ms"?');
  });

  it('rejects negative, misordered, sub-microsecond and huge values', () => {
    expect(failure(parseDuration('-5s')).reason).toMatch(/negative/);
    expect(failure(parseDuration('30m1h')).reason).toMatch(/largest to smallest/);
    expect(failure(parseDuration('1s1s')).reason).toMatch(/largest to smallest/);
    expect(failure(parseDuration('0.5us')).reason).toMatch(/finer than a microsecond/);
    expect(failure(parseDuration('99999999999999999999w')).reason).toMatch(/too large/);
    expect(failure(parseDuration('x'.repeat(1000))).reason).toMatch(/too long/);
    expect(failure(parseDuration('abc')).reason).toMatch(/not a duration/);
    for (const u of ['constructor', '__proto__', 'toString']) {
      expect(failure(parseDuration(`10${u}`)).reason).toMatch(/unknown duration unit|missing a unit/);
      expect(failure(parseSize(`10${u}`)).reason).toMatch(/unknown size unit|not a size|missing a unit/);
      expect(failure(parseRate(`10/${u}`)).reason).toMatch(/unknown rate unit|not a rate/);
    }
  });
});

describe('parseSize', () => {
  it.each([
    ['2KiB', 2048],
    ['16MiB', 16 * 1024 * 1024],
    ['1GiB', 1024 ** 3],
    ['1TiB', 1024 ** 4],
    ['1kB', 1000],
    ['1KB', 1000],
    ['1MB', 1_000_000],
    ['2GB', 2e9],
    ['1TB', 1e12],
    ['512B', 512],
    ['1.5KiB', 1536],
    [0, 0],
  ] as const)('%s', (text, bytes) => {
    expect(value(parseSize(text))).toBe(bytes);
  });

  it('rejects bare numbers, typos and fractions of a byte', () => {
    expect(failure(parseSize(2048))).toEqual({ reason: '"2048" has no unit', hint: 'did you mean "2048B"?' });
    expect(failure(parseSize('1024', { bareUnit: 'MB' })).hint).toBe('did you mean "1024MB"?');
    expect(failure(parseSize('16Mib')).hint).toBe('did you mean "16MiB"?');
    expect(failure(parseSize('16mb')).hint).toBe('did you mean "16MB"?');
    expect(failure(parseSize('1.5B')).reason).toMatch(/whole number of bytes/);
    expect(failure(parseSize('1GB 2MB')).reason).toMatch(/not a size/);
    expect(failure(parseSize('-1MB')).reason).toMatch(/negative/);
  });

  it('formats sizes', () => {
    expect(formatSize(16 * 1024 * 1024)).toBe('16MiB');
    expect(formatSize(1000)).toBe('1kB');
    expect(formatSize(1001)).toBe('1001B');
  });
});

describe('parseBandwidth', () => {
  it.each([
    ['1Gbps', 125_000_000],
    ['10Gbps', 1_250_000_000],
    ['100Mbps', 12_500_000],
    ['8kbps', 1000],
    ['8bps', 1],
    ['50MB/s', 50_000_000],
    ['1KiB/s', 1024],
    ['1 GiB/s', 1024 ** 3],
  ] as const)('%s', (text, bytesPerSecond) => {
    expect(value(parseBandwidth(text))).toBe(bytesPerSecond);
  });

  it('gives did-you-mean for unit typos', () => {
    expect(failure(parseBandwidth('10 Mbs'))).toEqual({ reason: 'unknown bandwidth unit "Mbs" in "10 Mbs"', hint: 'did you mean "10Mbps"?' });
    expect(failure(parseBandwidth('1gbps')).hint).toBe('did you mean "1Gbps"?');
    expect(failure(parseBandwidth('100')).hint).toBe('did you mean "100Mbps"?');
    expect(failure(parseBandwidth(0)).reason).toMatch(/greater than 0/);
  });
});

describe('parseRate', () => {
  it.each([
    ['800/s', 800],
    ['48000/min', 800],
    ['3600/h', 1],
    ['60/m', 1],
    ['10 / s', 10],
    [200, 200],
    ['200', 200],
    [0.5, 0.5],
  ] as const)('%s', (text, perSecond) => {
    expect(value(parseRate(text))).toBeCloseTo(perSecond, 12);
  });

  it('rejects bad units and negatives', () => {
    expect(failure(parseRate('800/sec')).hint).toBe('did you mean "800/s"?');
    expect(failure(parseRate('800/hr')).hint).toBe('did you mean "800/h"?');
    expect(failure(parseRate('800 tps')).hint).toBe('did you mean "800/s"?');
    expect(failure(parseRate(-1)).reason).toMatch(/negative/);
  });
});

describe('LSNs', () => {
  it('parses and formats %X/%X', () => {
    expect(value(parseLsn('2A/1000000'))).toBe(0x2a * 2 ** 32 + 0x1000000);
    expect(value(parseLsn('0/3000000'))).toBe(0x3000000);
    expect(value(parseLsn('0/0'))).toBe(0);
    expect(value(parseLsn(1234))).toBe(1234);
    expect(formatLsn(0x2a * 2 ** 32 + 0x1000000)).toBe('2A/1000000');
    expect(formatLsn(0x3000160)).toBe('0/3000160');
    for (const lsn of [0, 1, 0xffffffff, 2 ** 32, 0x1fffff * 2 ** 32 + 0xffffffff]) expect(value(parseLsn(formatLsn(lsn)))).toBe(lsn);
  });

  it('rejects malformed and unrepresentable LSNs', () => {
    expect(failure(parseLsn('2A-1000000')).reason).toMatch(/not an LSN/);
    expect(failure(parseLsn('123456789/0')).reason).toMatch(/not an LSN/);
    expect(failure(parseLsn('FFFFFFFF/FFFFFFFF')).reason).toMatch(/beyond/);
    expect(failure(parseLsn(-1)).reason).toMatch(/not a valid LSN/);
    expect(failure(parseLsn(1.5)).reason).toMatch(/not a valid LSN/);
  });
});

describe('time zones', () => {
  it('accepts IANA names and offsets', () => {
    expect(value(parseTimeZone('Asia/Tokyo'))).toBe('Asia/Tokyo');
    expect(value(parseTimeZone('+09:00'))).toBe('UTC+09:00');
    expect(value(parseTimeZone('-0330'))).toBe('UTC-03:30');
    expect(value(parseTimeZone('UTC'))).toBe('UTC');
  });

  it('suggests a zone for a typo', () => {
    expect(failure(parseTimeZone('Asia/Tokio')).hint).toBe('did you mean "Asia/Tokyo"?');
    expect(failure(parseTimeZone('Tokyo')).hint).toBe('did you mean "Asia/Tokyo"?');
    expect(failure(parseTimeZone('+25:00')).reason).toMatch(/not a valid UTC offset/);
  });
});

describe('did-you-mean', () => {
  it('uses Damerau-Levenshtein distance', () => {
    expect(editDistance('timline', 'timeline')).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(closest('recovery_target_timline', ['recovery_target_timeline', 'wal_keep_size'])).toBe('recovery_target_timeline');
    expect(closest('zzz', ['recovery_target_timeline'])).toBeNull();
    expect(closest('x'.repeat(10_000), ['x'])).toBeNull();
  });
});

describe('parseTime (units level)', () => {
  const ref = { startEpochMs: Date.parse('2017-08-07T14:00:00+09:00'), zone: 'Asia/Tokyo' };
  it('reads the three forms', () => {
    expect(value(parseTime('14:30', ref))).toBe(30 * 60 * 1e6);
    expect(value(parseTime('+90s', ref))).toBe(90e6);
    expect(value(parseTime('2017-08-07T06:00:00Z', ref))).toBe(60 * 60 * 1e6);
  });
});
