/** The ingest routes, one batch lane each. `critical` routes carry at-least-once records. */
export type RouteName = 'logs' | 'heartbeats' | 'events';

export interface Route {
  name: RouteName;
  path: string;
  critical: boolean;
}

export const ROUTES: Readonly<Record<RouteName, Route>> = {
  logs: { name: 'logs', path: '/v1/logs', critical: false },
  heartbeats: { name: 'heartbeats', path: '/v1/heartbeats', critical: false },
  events: { name: 'events', path: '/v1/events', critical: true },
};

export const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];
