// Structured logging for the long-running processes (relay, agent, forwarder): one JSON object per
// line on stderr, optionally tagged with a component. Domain code in shared/ never logs; the
// processes report through this small interface so tests can capture or silence it.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function jsonLogger(
  options: {
    level?: LogLevel;
    out?: { write(line: string): unknown };
    now?: () => Date;
    /** Added to every line as `component`. */
    component?: string;
  } = {},
): Logger {
  const min = RANK[options.level ?? 'info'];
  const out = options.out ?? process.stderr;
  const now = options.now ?? (() => new Date());
  const tag = options.component ? { component: options.component } : {};
  const emit = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (RANK[level] < min) return;
    out.write(
      `${JSON.stringify({ time: now().toISOString(), level, ...tag, message, ...fields }, errorReplacer)}\n`,
    );
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}
