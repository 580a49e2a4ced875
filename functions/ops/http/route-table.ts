// Finds the route of routes.ts a request is for. Each `{param}` matches one path segment up to a
// `/` or the `:` of a custom method (`/runs/{id}:cancel`), so `/runs/r1:cancel` is cancelRun and
// `/runs/r1` getRun. Built once from the table: the server serves exactly those routes.
import { routes, type RouteName, type RouteSpec } from '../routes';

export interface RouteMatch {
  name: RouteName;
  spec: RouteSpec;
  params: Record<string, string>;
}

interface CompiledRoute {
  name: RouteName;
  spec: RouteSpec;
  pattern: RegExp;
  keys: string[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compile(name: RouteName, spec: RouteSpec): CompiledRoute {
  const keys: string[] = [];
  const source = spec.path
    .split(/(\{\w+\})/)
    .map((part) => {
      const key = /^\{(\w+)\}$/.exec(part)?.[1];
      if (!key) return escapeRegExp(part);
      keys.push(key);
      return '([^/:]+)';
    })
    .join('');
  return { name, spec, pattern: new RegExp(`^${source}/?$`), keys };
}

const compiled: CompiledRoute[] = (Object.entries(routes) as Array<[RouteName, RouteSpec]>).map(([name, spec]) => compile(name, spec));

// `{ route }` for a match, `{ allowed }` when the path exists under other methods (405), undefined
// when no route has the path (404).
export function matchRoute(method: string, pathname: string): { route: RouteMatch } | { allowed: string[] } | undefined {
  const allowed: string[] = [];
  for (const candidate of compiled) {
    const match = candidate.pattern.exec(pathname);
    if (!match) continue;
    if (candidate.spec.method !== method && !(method === 'HEAD' && candidate.spec.method === 'GET')) {
      allowed.push(candidate.spec.method);
      continue;
    }
    const params: Record<string, string> = {};
    let decodable = true;
    candidate.keys.forEach((key, i) => {
      try {
        params[key] = decodeURIComponent(match[i + 1] ?? '');
      } catch {
        decodable = false;
      }
    });
    if (!decodable) continue;
    return { route: { name: candidate.name, spec: candidate.spec, params } };
  }
  return allowed.length > 0 ? { allowed: [...new Set(allowed)] } : undefined;
}
