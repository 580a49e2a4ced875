// Which import rule takes a file: the one whose `match` regex matches the file's base name, among
// the rules its source allows (a Gmail rule names the import rules its attachments feed).
import { hasUnsafeCharacter, printableName } from '../../shared/object-names';
import type { ImportRule } from '../../shared/pipeline-definition';

// Custom metadata fetch stamps on a raw object whose source names the import rules it may feed
// (SourceItem.imports): their names, comma-separated. Absent: any rule may take the file.
export const IMPORT_RULES_METADATA_KEY = 'sluice-import-rules';

// The import rules a raw object's custom metadata allows; undefined when it sets no restriction.
export function allowedImportRulesOf(metadata: Record<string, unknown> | null | undefined): string[] | undefined {
  const value = metadata?.[IMPORT_RULES_METADATA_KEY];
  if (typeof value !== 'string' || value === '') return undefined;
  return value.split(',');
}

function candidates(rules: readonly ImportRule[], allowed: readonly string[] | undefined): readonly ImportRule[] {
  return allowed === undefined ? rules : rules.filter((rule) => allowed.includes(rule.name));
}

// A file two rules match is taken by neither: which table it belongs to is a guess (corpus case two-rules).
export function matchImportRule(rules: readonly ImportRule[], fileBaseName: string, allowed?: readonly string[]): ImportRule | null {
  // A control or line-separator character in a name (only a file dropped into raw/ by hand can have
  // one: fetch refuses them) would split what a rule's `.` and `^`/`$` see; no rule takes such a name.
  if (hasUnsafeCharacter(fileBaseName)) return null;
  const matching = candidates(rules, allowed).filter((rule) => new RegExp(rule.match).test(fileBaseName));
  return matching.length === 1 ? (matching[0] as ImportRule) : null;
}

export function noRuleReason(rules: readonly ImportRule[], fileBaseName: string, allowed?: readonly string[]): string {
  if (hasUnsafeCharacter(fileBaseName)) return `no import rule takes "${printableName(fileBaseName)}": its name holds a control or line-separator character`;
  const open = candidates(rules, allowed);
  const matching = open.filter((rule) => new RegExp(rule.match).test(fileBaseName));
  if (matching.length > 1) return `"${fileBaseName}" matches more than one import rule (${matching.map((r) => r.name).join(', ')}): each file must match exactly one`;
  const list = open.map((r) => `${r.name}: /${r.match}/`).join(', ');
  const only = allowed === undefined ? '' : `; its source lets it feed only ${allowed.map((name) => `"${name}"`).join(', ')}`;
  return `no import rule matches "${fileBaseName}" (rules: ${list}${only})`;
}
