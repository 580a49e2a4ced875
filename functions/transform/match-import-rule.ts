// Which import rule takes a file: the first whose `match` regex matches the file's base name.
import type { ImportRule } from '../../shared/pipeline-definition';

export function matchImportRule(rules: readonly ImportRule[], fileBaseName: string): ImportRule | null {
  for (const rule of rules) {
    if (new RegExp(rule.match).test(fileBaseName)) return rule;
  }
  return null;
}

export function noRuleReason(rules: readonly ImportRule[], fileBaseName: string): string {
  const list = rules.map((r) => `${r.name}: /${r.match}/`).join(', ');
  return `no import rule matches "${fileBaseName}" (rules: ${list})`;
}
