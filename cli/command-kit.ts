// What every command gets: the global flags (--api, --token, -o, --utc, --no-color) turned into an
// Output and a lazily made API client, and one way to run a handler so that its exit code (or the
// CliError it throws) reaches main.ts. Commands are registered by their own files (commands/).
import { Command, InvalidArgumentError, Option } from 'commander';
import { createOpsClient, type OpsClient } from './api-client';
import { resolveEndpoint } from './endpoint';
import { EXIT, type ExitCode } from './exit-codes';
import { createOutput, FORMATS, type Format, type Output, type Streams } from './output';
import { parseInstant } from './time-format';

export interface Base {
  streams: Streams;
  env: NodeJS.ProcessEnv;
  cwd: string;
  fetch?: typeof fetch;
}

export interface GlobalFlags {
  api?: string;
  token?: string;
  output: Format;
  utc: boolean;
  color: boolean;
}

export interface Ctx {
  base: Base;
  flags: GlobalFlags;
  out: Output;
  client(): OpsClient;
}

export type Handler = (ctx: Ctx, args: string[], opts: Record<string, unknown>) => Promise<ExitCode | void>;

export interface CommandKit {
  base: Base;
  // Sets the command's action; the exit code lands in `result`.
  run(command: Command, handler: Handler): Command;
}

export function createCommandKit(base: Base, result: { exitCode: ExitCode }): CommandKit {
  return {
    base,
    run(command, handler) {
      return command.action(async function (this: Command) {
        const flags = this.optsWithGlobals() as GlobalFlags;
        const out = createOutput({ format: flags.output, time: { utc: flags.utc }, color: flags.color }, base.streams, base.env);
        let client: OpsClient | undefined;
        const ctx: Ctx = {
          base, flags, out,
          client: () => (client ??= createOpsClient(resolveEndpoint(flags, base.env, base.cwd), base.fetch)),
        };
        result.exitCode = (await handler(ctx, this.processedArgs as string[], this.opts())) ?? EXIT.ok;
      });
    },
  };
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--api <url>', 'ops API URL (default: $SLUICE_API_URL, else the local cloud\'s .sluice/ops.json)')
    .option('--token <token>', 'bearer token: an ID token for a deployed ops API (default: $SLUICE_TOKEN, else the local dev token)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('table'))
    .option('--utc', 'show times in UTC instead of local time', false)
    .option('--no-color', 'no colours (also: NO_COLOR set, or output not a terminal)');
}

// Examples shown under every command's --help (the issue asks for one on each).
export function withExamples(command: Command, ...examples: string[]): Command {
  return command.addHelpText('after', `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
}

// ---- option parsers shared by several commands ----
export function instantOption(value: string): string {
  const instant = parseInstant(value);
  if (instant === undefined) throw new InvalidArgumentError('give an instant (2026-12-01T08:00:00Z), a date (2026-12-01) or an age (30m, 2h, 7d)');
  return instant;
}

export function positiveInt(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`give a whole number from 1 to ${max}`);
    return n;
  };
}

export function secondsOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new InvalidArgumentError('give a number of seconds above 0');
  return n;
}

export const intervalOption = (): Option => new Option('--interval <seconds>', 'how often to poll while waiting').argParser(secondsOption).default(1);
