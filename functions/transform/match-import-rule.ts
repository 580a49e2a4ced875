// Which import rule takes a file: the one whose `match` regex matches the file's base name.
import { hasUnsafeCharacter, printableName } from '../../shared/object-names';
import type { ImportRule } from '../../shared/pipeline-definition';

// A file two rules match is taken by neither: which table it belongs to is a guess (corpus case two-rules).
export function matchImportRule(rules: readonly ImportRule[], fileBaseName: string): ImportRule | null {
  // A control or line-separator character in a name (only a file dropped into raw/ by hand can have
  // one: fetch refuses them) would split what a rule's `.` and `^`/`$` see; no rule takes such a name.
  if (hasUnsafeCharacter(fileBaseName)) return null;
  const matching = rules.filter((rule) => new RegExp(rule.match).test(fileBaseName));
  return matching.length === 1 ? (matching[0] as ImportRule) : null;
}

export function noRuleReason(rules: readonly ImportRule[], fileBaseName: string): string {
  if (hasUnsafeCharacter(fileBaseName)) return `no import rule takes "${printableName(fileBaseName)}": its name holds a control or line-separator character`;
  const matching = rules.filter((rule) => new RegExp(rule.match).test(fileBaseName));
  if (matching.length > 1) return `"${fileBaseName}" matches more than one import rule (${matching.map((r) => r.name).join(', ')}): each file must match exactly one`;
  const list = rules.map((r) => `${r.name}: /${r.match}/`).join(', ');
  return `no import rule matches "${fileBaseName}" (rules: ${list})`;
}
