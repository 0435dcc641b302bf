/** RFC 9457 problem+json bodies: one place turns gateway error codes into statuses and titles. */
import type { Response } from 'express';
import type { GatewayErrorCode, ProblemFieldError } from '../errors';
import type { Problem } from '../schema/envelope';
import { contextOf } from './context';

const TITLES: Readonly<Record<GatewayErrorCode, string>> = {
  invalid_query: 'Invalid query',
  unauthorized: 'Unauthorized',
  access_denied: 'Access denied',
  rate_limited: 'Too many requests',
  all_sources_failed: 'All sources failed',
  not_found: 'Not found',
  too_expensive: 'Request too expensive',
  history_unavailable: 'History unavailable',
  internal: 'Internal error',
};

export function problemBody(status: number, code: GatewayErrorCode, detail: string, requestId: string, errors?: ProblemFieldError[]): Problem {
  return {
    type: `https://outreach-gateway.dev/problems/${code.replace(/_/g, '-')}`,
    title: TITLES[code],
    status,
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
    requestId,
  };
}

export function sendProblem(res: Response, status: number, code: GatewayErrorCode, detail: string, errors?: ProblemFieldError[]): void {
  const requestId = contextOf(res).requestId;
  res.status(status).type('application/problem+json').send(JSON.stringify(problemBody(status, code, detail, requestId, errors)));
}
