// isPermanent's name fallback covers every permanent error class: a bundle may carry two copies of a
// class, and then `instanceof` fails for the copy the handler did not import.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileDataError } from '../../functions/load/file-data-error';
import { InvalidIdentifierError } from '../../functions/load/quote-identifier';
import { UnknownEncodingError } from '../../functions/transform/decode-stream';
import { MalformedFileError } from '../../functions/transform/malformed-file-error';
import { CsvFormatError } from '../../functions/transform/parse-csv-stream';
import { InvalidMessageError, PERMANENT_ERROR_NAMES, PermanentError, TransientError, isPermanent } from '../../shared/errors';
import { PipelineDefinitionError } from '../../shared/pipeline-definition';
import { ReauthorizationRequiredError } from '../../functions/runtime/google-auth/reauthorization-required-error';

const root = path.resolve(__dirname, '../..');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

describe('isPermanent', () => {
  it('knows every subclass of PermanentError in the code base by name', async () => {
    const extendsOf = new Map<string, string>();
    for (const dir of ['functions', 'shared']) {
      for (const file of await sourceFiles(path.join(root, dir))) {
        for (const match of (await readFile(file, 'utf8')).matchAll(/class\s+(\w+)\s+extends\s+(\w+)/g)) extendsOf.set(match[1]!, match[2]!);
      }
    }
    const permanent = (name: string): boolean => name === 'PermanentError' || (extendsOf.has(name) && permanent(extendsOf.get(name)!));
    const subclasses = [...extendsOf.keys()].filter(permanent);
    expect(subclasses.length).toBeGreaterThanOrEqual(2);
    for (const name of subclasses) expect(PERMANENT_ERROR_NAMES, name).toContain(name);
  });

  it('recognises each permanent class, and a copy of it from another bundle by its name alone', () => {
    const errors: Error[] = [
      new PermanentError('p'), new InvalidMessageError('m'), new FileDataError('f', 3, 'qty'), new InvalidIdentifierError('i'),
      new MalformedFileError('x'), new CsvFormatError('c', 1), new UnknownEncodingError('e'), new PipelineDefinitionError('d'),
      new ReauthorizationRequiredError({ pipeline: 'p', secret: 's' }),
    ];
    expect(errors.map((e) => e.name).sort()).toEqual([...PERMANENT_ERROR_NAMES].sort());
    for (const error of errors) {
      expect(isPermanent(error), error.name).toBe(true);
      const copy = Object.assign(new Error(error.message), { name: error.name });
      expect(isPermanent(copy), `copy of ${error.name}`).toBe(true);
    }
  });

  it('leaves transient and unknown errors transient', () => {
    expect(isPermanent(new TransientError('t'))).toBe(false);
    expect(isPermanent(new Error('boom'))).toBe(false);
    expect(isPermanent('boom')).toBe(false);
  });
});
