// Source header names → SQL-safe lower_snake_case identifiers, unique within the file. The loader
// still quotes every identifier; this is so tables get names people can type without quotes.

const MAX_IDENTIFIER_BYTES = 63; // PostgreSQL's NAMEDATALEN - 1

export function toSnakeCase(source: string): string {
  const ascii = source
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // drop accents: "Café" → "Cafe"
    .trim();
  const snake = ascii
    // camelCase and PascalCase boundaries: "OrderId" → "Order_Id", "HTTPStatus" → "HTTP_Status"
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return snake;
}

// Two different headers that PostgreSQL's 63-byte limit would make one: renaming one of them to
// `_2` would put the values of a column under a name its header never had, so the file is refused
// (corpus case long-header-collision).
export class HeaderCollisionError extends Error {
  override name = 'HeaderCollisionError';
}

// A header as an error message quotes it: a hostile one may be megabytes long.
function quoted(header: string | undefined): string {
  const text = header ?? '';
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function fit(name: string, suffix = ''): string {
  return name.slice(0, MAX_IDENTIFIER_BYTES - suffix.length).replace(/_+$/, '') + suffix;
}

// Empty names become column_<n>; names starting with a digit get a "c_" prefix; duplicates (after
// normalizing, e.g. "Total" and "total ") get _2, _3... in order of appearance. Names that are the
// same only once cut to 63 bytes are an error (HeaderCollisionError).
export function normalizeHeader(sourceNames: readonly string[]): string[] {
  const used = new Set<string>();
  // Base name → the full (uncut) name that first took it, and that header's position.
  const firstTaker = new Map<string, { full: string; at: number }>();
  const bases = sourceNames.map((source, i) => {
    let name = toSnakeCase(source);
    if (name === '') name = `column_${i + 1}`;
    if (/^[0-9]/.test(name)) name = `c_${name}`;
    const base = fit(name);
    const first = firstTaker.get(base);
    if (!first) firstTaker.set(base, { full: name, at: i });
    // Same base from a different full name: only the cut at 63 bytes made them one.
    else if (first.full !== name) {
      throw new HeaderCollisionError(`headers ${quoted(sourceNames[first.at])} and ${quoted(source)} are the same in their first ${MAX_IDENTIFIER_BYTES} bytes ("${base}"), the longest column name PostgreSQL keeps: rename one of them`);
    }
    return base;
  });
  // Reserve every base name first so a generated suffix never takes a name a later column has.
  const baseSet = new Set(bases);
  return bases.map((base) => {
    if (!used.has(base)) {
      used.add(base);
      return base;
    }
    for (let n = 2; ; n++) {
      const candidate = fit(base, `_${n}`);
      if (!used.has(candidate) && !baseSet.has(candidate)) {
        used.add(candidate);
        return candidate;
      }
    }
  });
}
