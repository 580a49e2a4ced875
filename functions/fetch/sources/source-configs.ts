// Every source kind's configuration, as one discriminated union on `kind`: plain data, read by the
// pipeline definition. Adding a source is a folder under sources/ and one entry here and in
// connectors.ts (its runtime part).
import { z } from 'zod';
import { gmailSourceSchema } from './gmail/config';
import { sftpSourceSchema } from './sftp/config';

export const sourceSchema = z.discriminatedUnion('kind', [sftpSourceSchema, gmailSourceSchema]);
export type Source = z.infer<typeof sourceSchema>;
export type SourceKind = Source['kind'];

// The import rules (by name) a source's config names, with where: the definition checks each exists.
const importRuleRefs: { [K in SourceKind]: (source: Extract<Source, { kind: K }>) => Array<{ name: string; path: (string | number)[] }> } = {
  sftp: () => [],
  gmail: (source) => source.rules.flatMap((rule, i) => rule.imports.map((name, j) => ({ name, path: ['rules', i, 'imports', j] }))),
};

export function importRuleRefsOf(source: Source): Array<{ name: string; path: (string | number)[] }> {
  return (importRuleRefs[source.kind] as (s: Source) => Array<{ name: string; path: (string | number)[] }>)(source);
}
