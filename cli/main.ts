// `sluice`: the ops CLI's entry (bin/sluice.mjs runs it with tsx). runCli is the whole CLI for the
// given streams and environment; the process part only exits with its code.
import { CommanderError } from 'commander';
import { pathToFileURL } from 'node:url';
import type { Base } from './command-kit';
import { CliError, EXIT, type ExitCode } from './exit-codes';
import { buildProgram, exitCodeOfCommanderError } from './program';

export async function runCli(argv: string[], base: Base): Promise<ExitCode> {
  const result: { exitCode: ExitCode } = { exitCode: EXIT.ok };
  const program = buildProgram(base, result);
  try {
    // A bare `sluice` shows the help on stderr and is a usage error (clig: no silent no-op).
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return result.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return exitCodeOfCommanderError(error);
    const message = error instanceof Error ? error.message : String(error);
    base.streams.stderr.write(`sluice: ${message}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.failed;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const code = await runCli(process.argv.slice(2), { streams: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }, env: process.env, cwd: process.cwd() });
  process.exit(code);
}
