// Which import rule takes a file: the one whose `match` regex matches the file's base name.
import type { ImportRule } from '../../shared/pipeline-definition';

// A file two rules match is taken by neither: which table it belongs to is a guess (corpus case two-rules).
export function matchImportRule(rules: readonly ImportRule[], fileBaseName: string): ImportRule | null {
  const matching = rules.filter((rule) => new RegExp(rule.match).test(fileBaseName));
  return matching.length === 1 ? (matching[0] as ImportRule) : null;
}

export function noRuleReason(rules: readonly ImportRule[], fileBaseName: string): string {
  const matching = rules.filter((rule) => new RegExp(rule.match).test(fileBaseName));
  if (matching.length > 1) return `"${fileBaseName}" matches more than one import rule (${matching.map((r) => r.name).join(', ')}): each file must match exactly one`;
  const list = rules.map((r) => `${r.name}: /${r.match}/`).join(', ');
  return `no import rule matches "${fileBaseName}" (rules: ${list})`;
}
