import { describe, expect, it } from 'vitest';
import { RelayConfigError } from '../../../services/relay/errors.ts';
import { MetricsRegistry } from '../../../services/relay/metrics.ts';
import { formatHostPort, parseDuration, parseHostPort } from '../../../services/relay/options.ts';

describe('relay flags', () => {
  it.each([
    ['127.0.0.1:18000', { host: '127.0.0.1', port: 18000 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['relay.internal:443', { host: 'relay.internal', port: 443 }],
    [':18000', { host: '0.0.0.0', port: 18000 }],
  ])('parses %s', (value, expected) => {
    expect(parseHostPort(value, '--listen')).toEqual(expected);
  });

  it.each(['18000', '127.0.0.1', '127.0.0.1:99999', '::1:80'])('rejects %s naming the flag', (value) => {
    expect(() => parseHostPort(value, '--listen')).toThrow(RelayConfigError);
    expect(() => parseHostPort(value, '--listen')).toThrow(/--listen .*e\.g\. 127\.0\.0\.1:18000/);
  });

  it('formats IPv6 hosts in brackets', () => {
    expect(formatHostPort({ host: '::1', port: 1 })).toBe('[::1]:1');
  });

  it.each([
    ['250ms', 250],
    ['1s', 1000],
    ['1.5s', 1500],
    ['30m', 1_800_000],
    ['0', 0],
  ])('parses the duration %s', (value, ms) => {
    expect(parseDuration(value, '--poll-interval')).toBe(ms);
  });

  it('rejects a duration without a known unit', () => {
    expect(() => parseDuration('5 minutes', '--poll-interval')).toThrow(/--poll-interval/);
  });
});

describe('MetricsRegistry', () => {
  it('renders counters and gauges in the Prometheus text format', () => {
    // Prepare
    const registry = new MetricsRegistry();
    registry.counter('x_total', 'Things.').inc({ type: 'cds' }, 2);
    registry.gauge('y', 'Level.').set({ node_cluster: 'a/"b"/c' }, 3);

    // Act
    const text = registry.render();

    // Assess
    expect(text).toBe(
      [
        '# HELP x_total Things.',
        '# TYPE x_total counter',
        'x_total{type="cds"} 2',
        '# HELP y Level.',
        '# TYPE y gauge',
        'y{node_cluster="a/\\"b\\"/c"} 3',
        '',
      ].join('\n'),
    );
  });
});
