// A minimal Prometheus registry: counters and gauges with labels, rendered in the text exposition
// format for `/metrics`, and readable by tests (`value`). No dependency: the relay needs a dozen
// series, not a client library.

export type Labels = Readonly<Record<string, string>>;

interface Family {
  name: string;
  help: string;
  kind: 'counter' | 'gauge';
  series: Map<string, { labels: Labels; value: number }>;
  /** Gauges computed at scrape time replace `series` when present. */
  collect?: () => Iterable<{ labels: Labels; value: number }>;
}

export class Counter {
  constructor(readonly family: Family) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    const entry = this.family.series.get(key);
    if (entry) entry.value += by;
    else this.family.series.set(key, { labels, value: by });
  }
}

export class Gauge extends Counter {
  set(labels: Labels, value: number): void {
    this.family.series.set(labelKey(labels), { labels, value });
  }
  dec(labels: Labels = {}, by = 1): void {
    this.inc(labels, -by);
  }
  remove(labels: Labels): void {
    this.family.series.delete(labelKey(labels));
  }
}

export class MetricsRegistry {
  readonly #families = new Map<string, Family>();

  counter(name: string, help: string): Counter {
    return new Counter(this.#family(name, help, 'counter'));
  }

  gauge(name: string, help: string): Gauge {
    return new Gauge(this.#family(name, help, 'gauge'));
  }

  /** A gauge whose series are computed on every scrape. */
  collectedGauge(name: string, help: string, collect: Family['collect']): void {
    this.#family(name, help, 'gauge').collect = collect;
  }

  /** The current value of one series (0 when absent); for tests and debug endpoints. */
  value(name: string, labels: Labels = {}): number {
    const family = this.#families.get(name);
    if (!family) return 0;
    const key = labelKey(labels);
    for (const s of family.collect ? family.collect() : family.series.values())
      if (labelKey(s.labels) === key) return s.value;
    return 0;
  }

  /** Sum over every series of a family whose labels include `match`. */
  sum(name: string, match: Labels = {}): number {
    const family = this.#families.get(name);
    if (!family) return 0;
    let total = 0;
    for (const s of family.collect ? family.collect() : family.series.values())
      if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
    return total;
  }

  render(): string {
    const lines: string[] = [];
    for (const family of [...this.#families.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.kind}`);
      const series = [...(family.collect ? family.collect() : family.series.values())];
      for (const s of series.sort((a, b) => labelKey(a.labels).localeCompare(labelKey(b.labels))))
        lines.push(`${family.name}${renderLabels(s.labels)} ${s.value}`);
    }
    return `${lines.join('\n')}\n`;
  }

  #family(name: string, help: string, kind: Family['kind']): Family {
    const existing = this.#families.get(name);
    if (existing) return existing;
    const family: Family = { name, help, kind, series: new Map() };
    this.#families.set(name, family);
    return family;
  }
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

function renderLabels(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  const escaped = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${keys.map((k) => `${k}="${escaped(labels[k] ?? '')}"`).join(',')}}`;
}
