/** Scenario 5's recorded vendor replies: how a request is named, shared by capture and replay. */
import type { GetJsonRequest } from '../../src/http/client';

/**
 * A request's identity without building its URL (URL building is the HTTP client's work, not
 * parse, validate or map): the path and the defined query values in the order the provider gives them.
 */
export function replyKey(request: Pick<GetJsonRequest, 'path' | 'query'>): string {
  let key = request.path;
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value === undefined) continue;
    key += `&${name}=${Array.isArray(value) ? value.join(',') : String(value)}`;
  }
  return key;
}
