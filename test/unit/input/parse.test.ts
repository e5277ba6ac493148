import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../../shared/input/parse.ts';

describe('parseManifests', () => {
  it('reads multi-document YAML, skipping empty documents', () => {
    const text =
      'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n';
    const out = parseManifests(text, 'in.yaml');
    expect(out.problems).toEqual([]);
    expect(out.objects.map((o) => [o.object.metadata.name, o.source])).toEqual([
      ['a', 'in.yaml#1'],
      ['b', 'in.yaml#3'],
    ]);
  });

  it('reads JSON and expands List kinds', () => {
    const text = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b' } },
      ],
    });
    const out = parseManifests(text, 'in.json');
    expect(out.objects.map((o) => o.source)).toEqual(['in.json items[0]', 'in.json items[1]']);
  });

  it('reports a malformed document with its position and keeps the others', () => {
    const text =
      'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\nkind: [unclosed\n---\napiVersion: v1\nkind: Service\nmetadata: {name: c}\n';
    const out = parseManifests(text, 'bad.yaml');
    expect(out.objects.map((o) => o.object.metadata.name)).toEqual(['a', 'c']);
    expect(out.problems).toHaveLength(1);
    expect(out.problems[0]?.source).toMatch(/^bad\.yaml#2 \(line \d+, column \d+\)$/);
    expect(out.problems[0]?.message).toMatch(/^malformed YAML/);
  });

  it('rejects duplicate keys as malformed', () => {
    const out = parseManifests(
      'apiVersion: v1\napiVersion: v2\nkind: Service\nmetadata: {name: a}\n',
      'dup.yaml',
    );
    expect(out.objects).toEqual([]);
    expect(out.problems[0]?.message).toContain('malformed YAML');
  });

  it('names what is missing from a document that is not a Kubernetes object', () => {
    const out = parseManifests('kind: Service\nmetadata: {namespace: 3}\n---\n- a\n- b\n', 'x.yaml');
    expect(out.problems).toEqual([
      {
        source: 'x.yaml#1',
        message:
          'not a Kubernetes object: apiVersion: required string; metadata.name: required string; metadata.namespace: must be a string',
      },
      { source: 'x.yaml#2', message: 'expected a Kubernetes object, got a list' },
    ]);
  });
});
