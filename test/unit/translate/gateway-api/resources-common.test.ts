import { describe, expect, it } from 'vitest';
import { dropNulls, durationMillis, regexProblem } from '../../../../shared/resources/common.ts';
import { configMapSchema } from '../../../../shared/resources/core.ts';

describe('regexProblem', () => {
  it.each([
    '^/api/v[0-9]+/.*$',
    '(?i)^bearer .+',
    '^/items/(?P<id>[0-9]+)$',
    '(?i:abc)d',
    '[(?=]x',
    '\\(?=literal',
  ])('accepts the RE2 expression %j', (source) => {
    expect(regexProblem(source)).toBeUndefined();
  });

  it.each([
    ['(a', 'invalid regular expression'],
    ['a(?=b)', 'lookahead'],
    ['(?<!a)b', 'lookbehind'],
    ['(a)\\1', 'backreferences'],
    ['(?<n>a)\\k<n>', 'named backreferences'],
    ['*a', 'invalid regular expression'],
  ])('rejects %j', (source, problem) => {
    expect(regexProblem(source)).toContain(problem);
  });
});

describe('durationMillis', () => {
  it.each([
    ['0s', 0],
    ['500ms', 500],
    ['1h2m', 3_720_000],
    ['1h30m30s500ms', 5_430_500],
    ['00060m', 3_600_000],
  ])('reads %j as %i ms', (value, millis) => {
    expect(durationMillis(value)).toBe(millis);
  });
});

describe('dropNulls', () => {
  it('drops null properties at any depth but keeps nulls inside arrays', () => {
    expect(dropNulls({ a: null, b: { c: null, d: 1 }, e: [null, { f: null }] })).toEqual({
      b: { d: 1 },
      e: [null, {}],
    });
  });
});

describe('configMapSchema', () => {
  it('accepts string data and rejects bad keys and non-string values by path', () => {
    const good = configMapSchema.safeParse({ data: { 'ca.crt': 'pem' } });
    const bad = configMapSchema.safeParse({ data: { 'ca crt': 'pem', n: 1 } });

    expect(good.success).toBe(true);
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['data.n', 'must be a string'],
    ]);
  });
});
