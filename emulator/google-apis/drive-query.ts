// The subset of Drive's search syntax (files.list `q`) the double evaluates: and / or / not and
// parentheses over these terms; anything else is a 400 "Invalid Value" as Drive answers it.
//   '<id>' in parents            name = | != | contains '<text>'   mimeType = | != '<type>'
//   trashed = | != true|false    appProperties has { key='<k>' and value='<v>' }   (also properties)
//   modifiedTime / createdTime  = != < <= > >= '<RFC 3339>'
// Strings are single-quoted with \' and \\ escapes. `name contains` is a prefix match on the name's
// words, as documented for Drive.
import { ApiError } from './errors';
import type { DriveFile } from './drive-state';

type Predicate = (file: DriveFile) => boolean;
type Token = { kind: 'string'; value: string } | { kind: 'word'; value: string } | { kind: 'op'; value: string };

const invalidQuery = (why: string) => new ApiError(400, `Invalid Value (q: ${why})`, { reason: 'invalid', location: 'q', locationType: 'parameter' });

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) i++;
    else if (c === "'") {
      let value = '';
      i++;
      while (i < q.length && q[i] !== "'") {
        if (q[i] === '\\' && i + 1 < q.length) i++;
        value += q[i];
        i++;
      }
      if (q[i] !== "'") throw invalidQuery('unterminated string');
      i++;
      tokens.push({ kind: 'string', value });
    } else if ('(){}'.includes(c)) {
      tokens.push({ kind: 'op', value: c });
      i++;
    } else if ('=!<>'.includes(c)) {
      const two = q.slice(i, i + 2);
      const op = ['!=', '<=', '>='].includes(two) ? two : c;
      if (op === '!') throw invalidQuery("'!' without '='");
      tokens.push({ kind: 'op', value: op });
      i += op.length;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(q.slice(i));
      if (!m) throw invalidQuery(`unexpected '${c}'`);
      tokens.push({ kind: 'word', value: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

const wordsOf = (name: string) => name.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);

export function parseDriveQuery(q: string): Predicate {
  const tokens = tokenize(q);
  let i = 0;
  const peek = () => tokens[i];
  const isWord = (value: string) => peek()?.kind === 'word' && peek()!.value.toLowerCase() === value;
  const isOp = (value: string) => peek()?.kind === 'op' && peek()!.value === value;
  const expectOp = (value: string) => {
    if (!isOp(value)) throw invalidQuery(`expected '${value}'`);
    i++;
  };
  const string = (): string => {
    const t = tokens[i++];
    if (t?.kind !== 'string') throw invalidQuery('expected a quoted string');
    return t.value;
  };

  const orExpr = (): Predicate => {
    let left = andExpr();
    while (isWord('or')) {
      i++;
      const [a, b] = [left, andExpr()];
      left = (f) => a(f) || b(f);
    }
    return left;
  };
  const andExpr = (): Predicate => {
    let left = unary();
    while (isWord('and')) {
      i++;
      const [a, b] = [left, unary()];
      left = (f) => a(f) && b(f);
    }
    return left;
  };
  const unary = (): Predicate => {
    if (isWord('not')) {
      i++;
      const inner = unary();
      return (f) => !inner(f);
    }
    if (isOp('(')) {
      i++;
      const inner = orExpr();
      expectOp(')');
      return inner;
    }
    return term();
  };
  const comparison = (allowed: string[]): string => {
    const t = tokens[i++];
    if (t?.kind === 'word' && t.value === 'contains' && allowed.includes('contains')) return 'contains';
    if (t?.kind !== 'op' || !allowed.includes(t.value)) throw invalidQuery(`operator ${t?.value ?? 'missing'} not allowed here`);
    return t.value;
  };
  const term = (): Predicate => {
    const t = tokens[i];
    if (t?.kind === 'string') {
      i++;
      if (!isWord('in')) throw invalidQuery("expected 'in' after a string");
      i++;
      const field = tokens[i++];
      if (field?.kind !== 'word' || field.value !== 'parents') throw invalidQuery(`'in ${field?.value ?? ''}' is not supported by the local Drive double`);
      return (f) => f.parents.includes(t.value);
    }
    if (t?.kind !== 'word') throw invalidQuery('expected a term');
    i++;
    switch (t.value) {
      case 'name': {
        const op = comparison(['=', '!=', 'contains']);
        const value = string();
        if (op === 'contains') {
          const needle = value.toLowerCase();
          return (f) => f.name.toLowerCase().startsWith(needle) || wordsOf(f.name).some((w) => w.startsWith(needle));
        }
        return op === '=' ? (f) => f.name === value : (f) => f.name !== value;
      }
      case 'mimeType': {
        const op = comparison(['=', '!=']);
        const value = string();
        return op === '=' ? (f) => f.mimeType === value : (f) => f.mimeType !== value;
      }
      case 'trashed': {
        const op = comparison(['=', '!=']);
        const value = tokens[i++];
        if (value?.kind !== 'word' || !['true', 'false'].includes(value.value)) throw invalidQuery('trashed takes true or false');
        const wanted = (value.value === 'true') === (op === '=');
        return (f) => f.trashed === wanted;
      }
      case 'appProperties':
      case 'properties': {
        if (!isWord('has')) throw invalidQuery(`expected 'has' after ${t.value}`);
        i++;
        expectOp('{');
        if (!isWord('key')) throw invalidQuery("expected key='...'");
        i++;
        expectOp('=');
        const key = string();
        if (!isWord('and')) throw invalidQuery("expected 'and value='...''");
        i++;
        if (!isWord('value')) throw invalidQuery("expected value='...'");
        i++;
        expectOp('=');
        const value = string();
        expectOp('}');
        const bag = t.value as 'appProperties' | 'properties';
        return (f) => f[bag][key] === value;
      }
      case 'modifiedTime':
      case 'createdTime': {
        const op = comparison(['=', '!=', '<', '<=', '>', '>=']);
        const at = Date.parse(string());
        if (!Number.isFinite(at)) throw invalidQuery(`${t.value} needs an RFC 3339 time`);
        const field = t.value;
        return (f) => {
          const v = Date.parse(f[field]);
          return op === '=' ? v === at : op === '!=' ? v !== at : op === '<' ? v < at : op === '<=' ? v <= at : op === '>' ? v > at : v >= at;
        };
      }
      default:
        throw invalidQuery(`term '${t.value}' is not supported by the local Drive double`);
    }
  };

  if (tokens.length === 0) return () => true;
  const predicate = orExpr();
  if (i !== tokens.length) throw invalidQuery(`unexpected '${tokens[i]!.value}'`);
  return predicate;
}
