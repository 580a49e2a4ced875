// How a zod failure is said in one line's parts: each issue as `<field path>: <message>`, the path
// dotted, `(root)` when the value itself is wrong. Definitions, configurations and messages name
// the field this way when they refuse a value.
import type { z } from 'zod';

export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}
