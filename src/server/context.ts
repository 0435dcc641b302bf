/** Per-request state, typed (instead of Express's untyped `res.locals`). */
import type { Response } from 'express';
import type { ResolvedClient } from '../config';

export interface RequestContext {
  requestId: string;
  /** Metric label: the matched route template, never the raw path. */
  route: string;
  client?: ResolvedClient;
  /** Per-source outcome summary for the request log line. */
  sources?: string;
  /** A signed link's id and the query it signed (links.ts); set when the request is one. */
  link?: { id: string; query: Record<string, string | string[]> };
}

const contexts = new WeakMap<Response, RequestContext>();

export function setContext(res: Response, context: RequestContext): RequestContext {
  contexts.set(res, context);
  return context;
}

export function contextOf(res: Response): RequestContext {
  let context = contexts.get(res);
  if (!context) {
    context = { requestId: '', route: 'unmatched' };
    contexts.set(res, context);
  }
  return context;
}
