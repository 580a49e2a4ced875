// Asking before acting on many things at once (bulk rerun/cancel, purge by filter): --yes goes
// ahead; on a terminal the question is asked; a script without --yes is refused (exit 2), never
// left waiting on a prompt nobody sees.
import readline from 'node:readline/promises';
import { CliError, EXIT } from './exit-codes';
import type { Output } from './output';

export async function confirmOrStop(out: Output, question: string, yes: boolean): Promise<void> {
  if (yes) return;
  const { stdin, stderr } = out.streams;
  if (stdin.isTTY !== true || stderr.isTTY !== true) throw new CliError(`${question.replace(/\?$/, '')}: pass --yes to go ahead`, EXIT.usage);
  const rl = readline.createInterface({ input: stdin, output: stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('stopped: nothing done', EXIT.usage);
  } finally {
    rl.close();
  }
}
