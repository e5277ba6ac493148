import { describe, expect, it } from 'vitest';
import { hostnameCovers, intersectHostnames, selectListenerHostname } from '../../../shared/xds/hostnames.ts';

describe('hostnameCovers', () => {
  it.each([
    ['*.example.com', 'foo.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', '*.a.example.com', true],
    ['*.a.example.com', '*.example.com', false],
    ['foo.example.com', 'foo.example.com', true],
    ['foo.example.com', '*.example.com', false],
    ['*.example.com', 'fooexample.com', false],
    ['Foo.Example.com', 'foo.example.COM', true],
  ])('%s covers %s: %s', (pattern, host, expected) => {
    // Act
    const covers = hostnameCovers(pattern, host);

    // Assess
    expect(covers).toBe(expected);
  });
});

describe('intersectHostnames', () => {
  it('serves any host when neither side names one', () => {
    // Act
    const domains = intersectHostnames(undefined, []);

    // Assess
    expect(domains).toEqual(['*']);
  });

  it('takes the route hostnames when the listener has none', () => {
    // Act
    const domains = intersectHostnames(undefined, ['b.example.com', 'a.example.com', 'a.example.com']);

    // Assess
    expect(domains).toEqual(['a.example.com', 'b.example.com']);
  });

  it('takes the listener hostname when the route has none', () => {
    // Act
    const domains = intersectHostnames('*.example.com', []);

    // Assess
    expect(domains).toEqual(['*.example.com']);
  });

  it('keeps the more specific side of each overlapping pair and drops the rest', () => {
    // Prepare
    const routeHostnames = ['foo.example.com', '*.com', 'other.org', '*.bar.example.com', 'example.com'];

    // Act
    const domains = intersectHostnames('*.example.com', routeHostnames);

    // Assess
    expect(domains).toEqual(['*.bar.example.com', '*.example.com', 'foo.example.com']);
  });

  it('returns nothing when no route hostname overlaps the listener', () => {
    // Act
    const domains = intersectHostnames('foo.example.com', ['bar.example.com', '*.other.com']);

    // Assess
    expect(domains).toEqual([]);
  });

  it('narrows a wildcard route hostname to an exact listener hostname', () => {
    // Act
    const domains = intersectHostnames('foo.example.com', ['*.example.com']);

    // Assess
    expect(domains).toEqual(['foo.example.com']);
  });
});

describe('selectListenerHostname', () => {
  it.each([
    ['api.example.com', 2],
    ['www.example.com', 1],
    ['*.example.com', 1],
    ['example.org', 0],
  ])('sends %s to listener %i', (domain, expected) => {
    // Prepare
    const listeners = [undefined, '*.example.com', 'api.example.com'];

    // Act
    const index = selectListenerHostname(domain, listeners);

    // Assess
    expect(index).toBe(expected);
  });

  it('finds no listener when none covers the domain', () => {
    // Act
    const index = selectListenerHostname('example.org', ['*.example.com']);

    // Assess
    expect(index).toBe(-1);
  });
});
