// SQL identifiers are always quoted (so reserved words and mixed case are safe) and validated first
// (so nothing odd gets through at all). Values never go through here: they travel only via COPY or
// bind parameters.
const MAX_IDENTIFIER_BYTES = 63;

export class InvalidIdentifierError extends Error {
  override name = 'InvalidIdentifierError';
}

export function quoteIdentifier(name: string): string {
  if (name.length === 0) throw new InvalidIdentifierError('empty SQL identifier');
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw new InvalidIdentifierError(`SQL identifier longer than ${MAX_IDENTIFIER_BYTES} bytes: ${JSON.stringify(name.slice(0, 80))}`);
  }
  // NUL cannot be sent at all; control characters are never a legitimate column name.
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new InvalidIdentifierError(`SQL identifier with control characters: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}

export function columnList(names: readonly string[]): string {
  return names.map(quoteIdentifier).join(', ');
}
