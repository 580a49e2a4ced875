// Which import rule takes a file: the first whose `match` regex matches the file's base name.
import { hasUnsafeCharacter, printableName } from '../../shared/object-names';
import type { ImportRule } from '../../shared/pipeline-definition';

export function matchImportRule(rules: readonly ImportRule[], fileBaseName: string): ImportRule | null {
  // A control or line-separator character in a name (only a file dropped into raw/ by hand can have
  // one: fetch refuses them) would split what a rule's `.` and `^`/`$` see; no rule takes such a name.
  if (hasUnsafeCharacter(fileBaseName)) return null;
  for (const rule of rules) {
    if (new RegExp(rule.match).test(fileBaseName)) return rule;
  }
  return null;
}

export function noRuleReason(rules: readonly ImportRule[], fileBaseName: string): string {
  if (hasUnsafeCharacter(fileBaseName)) return `no import rule takes "${printableName(fileBaseName)}": its name holds a control or line-separator character`;
  const list = rules.map((r) => `${r.name}: /${r.match}/`).join(', ');
  return `no import rule matches "${fileBaseName}" (rules: ${list})`;
}
