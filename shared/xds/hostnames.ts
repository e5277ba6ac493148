// Gateway API hostname rules: wildcard coverage and the listener ∩ route intersection that decides
// which Envoy virtual host domains a route is served on.

/** The domain Envoy uses for "any host"; what a route gets when neither side names a hostname. */
export const ANY_HOST = '*';

/**
 * True when `pattern` covers `host`. Both may be exact names or `*.suffix` wildcards. A wildcard
 * covers any number of extra labels (`*.example.com` covers `a.b.example.com`) but never the bare
 * suffix (`example.com`), as the Gateway API specifies.
 */
export function hostnameCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === h) return true;
  if (!p.startsWith('*.')) return false;
  const suffix = p.slice(1); // ".example.com"
  const bare = h.startsWith('*.') ? h.slice(2) : h;
  return bare.endsWith(suffix) && bare.length > suffix.length;
}

/**
 * The domains a route is served on behind one listener: the most specific name of every
 * listener/route hostname pair that overlaps. An empty result means the route does not attach
 * (`NoMatchingListenerHostname`). Sorted and lower-cased.
 */
export function intersectHostnames(listenerHostname: string | undefined, routeHostnames: string[]): string[] {
  const listener = listenerHostname?.toLowerCase();
  const routes = routeHostnames.map((h) => h.toLowerCase());
  if (listener === undefined || listener === '') {
    return routes.length === 0 ? [ANY_HOST] : unique(routes);
  }
  if (routes.length === 0) return [listener];
  const out: string[] = [];
  for (const host of routes) {
    if (hostnameCovers(listener, host)) out.push(host);
    else if (hostnameCovers(host, listener)) out.push(listener);
  }
  return unique(out);
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

/**
 * Which of several listener hostnames (`undefined` = any) a request for `domain` selects: the
 * most specific one that covers it, as the Gateway API orders listeners (exact name, then the
 * longest wildcard, then none). Index into `listenerHostnames`, or -1 when none covers it.
 */
export function selectListenerHostname(domain: string, listenerHostnames: Array<string | undefined>): number {
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  listenerHostnames.forEach((hostname, i) => {
    if (hostname !== undefined && hostname !== '' && !hostnameCovers(hostname, domain)) return;
    const score = specificity(hostname);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  });
  return best;
}

function specificity(hostname: string | undefined): number {
  if (hostname === undefined || hostname === '') return -1;
  return hostname.startsWith('*.') ? hostname.length : 1_000_000 + hostname.length;
}
