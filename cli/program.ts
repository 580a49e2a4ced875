// The `sluice` command tree: global flags, then one file per group of commands (commands/).
// Usage errors (unknown command or option, a bad value) print one `sluice: …` line and exit 2.
import { Command, CommanderError } from 'commander';
import { addGlobalOptions, createCommandKit, withExamples, type Base } from './command-kit';
import { registerBulk } from './commands/bulk';
import { registerControls } from './commands/controls';
import { registerDlq } from './commands/dlq';
import { registerRuns } from './commands/runs';
import { registerSecrets } from './commands/secrets';
import { registerStatus } from './commands/status';
import { EXIT, type ExitCode } from './exit-codes';

export function buildProgram(base: Base, result: { exitCode: ExitCode }): Command {
  const program = new Command('sluice')
    .description('Operate Sluice pipelines through the ops API: runs, reruns, cancel, pause, dead letters.')
    .configureOutput({
      writeOut: (s) => void base.streams.stdout.write(s),
      writeErr: (s) => void base.streams.stderr.write(s),
      // One line, the CLI's own prefix: "error: unknown option '--x'" → "sluice: unknown option '--x'".
      outputError: (s, write) => write(`sluice: ${s.replace(/^error: /, '').replace(/\s+/g, ' ').trim()} (see --help)\n`),
    })
    .exitOverride();
  addGlobalOptions(program);
  program.addHelpText('after', `
Endpoint: --api URL or SLUICE_API_URL (deployed: the ops function's URL, with SLUICE_TOKEN an ID token,
e.g. SLUICE_TOKEN=$(gcloud auth print-identity-token)); with neither, the local cloud's .sluice/ops.json.
Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 not allowed (token), 5 cancelled.`);
  withExamples(program, 'sluice status', 'sluice runs list --status failed', 'sluice trigger demo --wait');

  const kit = createCommandKit(base, result);
  registerStatus(program, kit);
  registerRuns(program, kit);
  registerControls(program, kit);
  registerDlq(program, kit);
  registerBulk(program, kit);
  registerSecrets(program, kit);
  return program;
}

// A CommanderError is either help asked for (--help: exit 0) or a usage error (exit 2) — a group
// without its subcommand (`sluice runs`) shows its help on stderr, and is one too.
export function exitCodeOfCommanderError(error: CommanderError): ExitCode {
  return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
}
