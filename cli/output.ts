// What a command writes and how (clig.dev): data on stdout in the chosen format (-o table|json|jsonl),
// progress and messages on stderr; colours only on a TTY, never with NO_COLOR, --no-color or
// TERM=dumb; tables without borders, so they read like `kubectl get` and cut like columns.
import Table from 'cli-table3';
import pc from 'picocolors';
import type { TimeStyle } from './time-format';

export type Format = 'table' | 'json' | 'jsonl';
export const FORMATS: readonly Format[] = ['table', 'json', 'jsonl'];
export type Colors = ReturnType<typeof pc.createColors>;

export interface Streams {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

export interface Output {
  format: Format;
  time: TimeStyle;
  // Colours for what goes to stdout and to stderr: each stream is a TTY or not on its own.
  color: Colors;
  errColor: Colors;
  stderrIsTTY: boolean;
  streams: Streams;
  data(text: string): void;
  message(text: string): void;
  json(value: unknown): void;
  jsonl(values: readonly unknown[]): void;
  table(head: string[], rows: string[][]): void;
}

export function colorsEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag: boolean): boolean {
  return flag && stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

export function createOutput(options: { format: Format; time: TimeStyle; color: boolean }, streams: Streams, env: NodeJS.ProcessEnv): Output {
  const color = pc.createColors(colorsEnabled(streams.stdout, env, options.color));
  const errColor = pc.createColors(colorsEnabled(streams.stderr, env, options.color));
  const data = (text: string) => void streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return {
    format: options.format,
    time: options.time,
    color,
    errColor,
    stderrIsTTY: streams.stderr.isTTY === true,
    streams,
    data,
    message: (text) => void streams.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    json: (value) => data(JSON.stringify(value, null, 2)),
    jsonl: (values) => {
      for (const value of values) data(JSON.stringify(value));
    },
    table: (head, rows) => {
      // cli-table3 colours headers red by default (through @colors/colors): off, and ours instead.
      const table = new Table({ head: head.map((h) => color.bold(h)), chars: BORDERLESS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
      table.push(...rows);
      // Cells are padded to their column; the last column's padding is only trailing blanks.
      data(table.toString().split('\n').map((line) => line.trimEnd()).join('\n'));
    },
  };
}

// Each run status in its colour, so a failed run stands out in a long list.
export function statusColor(status: string, c: Colors): string {
  switch (status) {
    case 'succeeded':
    case 'done':
    case 'ok':
      return c.green(status);
    case 'failed':
    case 'down':
      return c.red(status);
    case 'partial':
    case 'cancelling':
    case 'paused':
    case 'degraded':
      return c.yellow(status);
    case 'running':
    case 'queued':
      return c.cyan(status);
    default:
      return c.dim(status);
  }
}
