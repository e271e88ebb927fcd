import { describe, expect, it } from 'vitest';
import { printable, escapeXml } from '../../src/report/escape.ts';
import { count, counted, duration, lsn, percent, perSecond, rate, settingSize, shortCount, size, sizeIn } from '../../src/report/format.ts';
import { offsetLabel, ReportClock, zoneLabel } from '../../src/report/time.ts';
import { textWidth, wrap } from '../../src/report/wrap.ts';

describe('formatters', () => {
  it('sizes are binary, rounded, never raw bytes', () => {
    expect(size(1_468_416_000)).toBe('1.4 GiB');
    expect(size(8 * 2 ** 20)).toBe('8 MiB');
    expect(size(737_280_000)).toBe('703 MiB');
    expect(size(14_745_616_384)).toBe('13.7 GiB');
    expect(size(767_999_999.9999998)).toBe('732 MiB');
    expect(size(949_983_054.5351998)).toBe('906 MiB');
    expect(size(100)).toBe('100 B');
    expect(size(0)).toBe('0 B');
    expect(size(2048 * 2 ** 30)).toBe('2 TiB');
    // Rounding never gives "1024 KiB".
    expect(size(1024 * 1024 - 1)).toBe('1 MiB');
  });

  it('a size quoted as configured is exact, in the unit with the fewest digits; an axis size has no trailing zeros', () => {
    expect(settingSize(16 * 2 ** 20)).toBe('16MiB');
    expect(settingSize(1e11)).toBe('100GB');
    expect(settingSize(2 ** 30)).toBe('1GiB');
    expect(settingSize(1e9)).toBe('1GB');
    expect(settingSize(0)).toBe('0');
    expect(settingSize(1500)).toBe('1500B');
    expect(sizeIn(1.5 * 2 ** 30, 2 ** 30, 'GiB', 1)).toBe('1.5 GiB');
    expect(sizeIn(2 ** 31, 2 ** 30, 'GiB', 1)).toBe('2 GiB');
    expect(sizeIn(0, 2 ** 30, 'GiB', 1)).toBe('0 GiB');
  });

  it('rates always say /s', () => {
    expect(rate(2_420_000)).toBe('2.42 MB/s');
    expect(rate(27_300_000)).toBe('27.3 MB/s');
    expect(rate(125_000_000)).toBe('125 MB/s');
    expect(rate(0)).toBe('0 B/s');
    expect(rate(999)).toBe('999 B/s');
    expect(rate(1.2e9)).toBe('1.2 GB/s');
    expect(perSecond(27.31, 'XIDs')).toBe('27.3 XIDs/s');
    expect(perSecond(12_000, 'commits')).toBe('12,000 commits/s');
  });

  it('durations in the two largest units that matter', () => {
    expect(duration(6556.5)).toBe('1 h 49 min');
    expect(duration(3585)).toBe('59 min 45 s');
    expect(duration(73.2)).toBe('1 min 13 s');
    expect(duration(20)).toBe('20 s');
    expect(duration(1.5)).toBe('1.5 s');
    expect(duration(59.96)).toBe('1 min');
    expect(duration(0.451)).toBe('451 ms');
    expect(duration(0.9999)).toBe('1 s');
    expect(duration(3600)).toBe('1 h');
    expect(duration(3_317_760)).toBe('38 days 10 h');
    expect(duration(86_400)).toBe('1 day');
    expect(duration(0)).toBe('0 s');
    expect(duration(2e-7)).toBe('1 µs');
  });

  it('counts are integers with separators; shares and axis counts', () => {
    expect(count(717000)).toBe('717,000');
    expect(count(61_890_000.001)).toBe('61,890,000');
    expect(count(-1234.6)).toBe('-1,235');
    expect(counted(1, 'commit')).toBe('1 commit');
    expect(counted(2, 'commit')).toBe('2 commits');
    expect(shortCount(1.3e9)).toBe('1.3B');
    expect(shortCount(1.25e9)).toBe('1.25B');
    expect(shortCount(5e8, 5e8)).toBe('500M');
    expect(shortCount(1e9, 5e8)).toBe('1B');
    expect(shortCount(1.5e9, 5e8)).toBe('1.5B');
    expect(percent(0.8734)).toBe('87%');
    expect(percent(0.999)).toBe('99.9%');
    expect(percent(0.004)).toBe('0.4%');
    // A share never rounds to an end it has not reached.
    expect(percent(0.0004)).toBe('0.04%');
    expect(percent(0.00004)).toBe('<0.01%');
    expect(percent(0.9996)).toBe('99.96%');
    expect(percent(0.99999)).toBe('>99.99%');
    expect(percent(1)).toBe('100%');
    expect(percent(0)).toBe('0%');
    expect(percent(1e-17)).toBe('0%');
    expect(percent(1 - 1e-16)).toBe('100%');
    expect(lsn(0x2a_2cf2_0000)).toBe('2A/2CF20000');
  });

  it('zones read the same everywhere: the name and the offset from UTC', () => {
    const start = Date.parse('2017-08-07T05:00:00Z');
    expect(zoneLabel('Asia/Tokyo', start)).toBe('Asia/Tokyo (UTC+9)');
    expect(zoneLabel('UTC', start)).toBe('UTC');
    expect(zoneLabel('UTC+09:00', start)).toBe('UTC+9');
    expect(zoneLabel('Asia/Kolkata', start)).toBe('Asia/Kolkata (UTC+5:30)');
    expect(offsetLabel(-210)).toBe('UTC-3:30');
    const clock = new ReportClock({ start: '2017-08-07T14:00:00+09:00', timezone: 'Asia/Tokyo' });
    expect(clock.zoneName).toBe('Asia/Tokyo (UTC+9)');
    expect(clock.short('2017-08-07T14:30:15.005+09:00')).toBe('14:30:15.005');
    expect(clock.short('2017-08-08T01:00:00+09:00')).toBe('2017-08-08 01:00:00');
    // An instant written with another offset is shown in the report's zone.
    expect(clock.short('2017-08-07T05:30:00Z')).toBe('14:30:00');
    expect(clock.us('2017-08-07T14:00:01+09:00')).toBe(1e6);
  });
});

describe('escaping', () => {
  it('shows control characters as symbols and markup as entities', () => {
    expect(printable('a\x1b[31mb\u0007\u009b\u007f')).toBe('a\u241b[31mb\u2407\u2370\u2421');
    expect(printable('a\nb\tc')).toBe('a\u240ab\u2409c');
    expect(printable('a\nb\tc', true)).toBe('a\nb\tc');
    expect(escapeXml(`<script>alert("x")</script>&'\u0000`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;\u2400');
    expect(escapeXml('\ud800x\uffff')).toBe('\ufffdx\ufffd');
  });
});

describe('wrap', () => {
  it('never ends a line between a number and its unit', () => {
    for (const width of [20, 21, 22, 23, 24, 25, 26]) {
      const lines = wrap('the DDL waited up to 5 s behind the vacuum, at 40 MB/s', width, '');
      for (const l of lines) expect(l, lines.join('|')).not.toMatch(/\d$/);
      expect(lines.join(' ')).toContain('5 s');
      expect(lines.join(' ')).toContain('40 MB/s');
    }
  });

  it('folds at spaces with a hanging indent, inside a word only when it must', () => {
    const text = 'db002 stopped receiving WAL at 14:30:10, at 2A/2CF20000 on timeline 15: db002 stays on timeline 15 at 2A/2CF20000, the switchpoint';
    const lines = wrap(text, 61, '   3. ', '      ');
    expect(lines[0]).toBe('   3. db002 stopped receiving WAL at 14:30:10, at 2A/2CF20000');
    expect(lines.slice(1).every((l) => l.startsWith('      ') && !l.startsWith('       '))).toBe(true);
    expect(lines.every((l) => textWidth(l) <= 61)).toBe(true);
    expect(lines.map((l) => l.trim()).join(' ')).toBe(`3. ${text}`);
    const long = wrap(`| ${'x'.repeat(150)}`, 60, '  ', '  |   ');
    expect(long.every((l) => textWidth(l) <= 60)).toBe(true);
    expect(long.map((l) => l.replace(/^ {2}(\| {3})?/, '')).join('')).toBe(`| ${'x'.repeat(150)}`);
  });

  it('counts UTF-8 bytes, never fewer than the columns', () => {
    expect(textWidth('→')).toBe(3);
    expect(textWidth('abc')).toBe(3);
    const lines = wrap('→ '.repeat(60), 40, '');
    expect(lines.every((l) => Buffer.byteLength(l) <= 40)).toBe(true);
  });
});
