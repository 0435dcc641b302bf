/**
 * The MCP tools: campaign analytics, campaign history and connection health, each the HTTP route's
 * twin. A tool's input schema is derived from the route's parameter table (gateway/request.ts
 * QUERY_PARAMETERS, gateway/history.ts HISTORY_PARAMETERS), its arguments are turned back into the
 * query texts the route reads and checked by the route's own parser, so the rules, the messages of a
 * 400 and the answers are the HTTP API's. Tools answer JSON only (no `format`).
 *
 * A call answers for one client (the `--client` of the process): its workspaces, its default
 * workspace, its inbound limit. The result is the HTTP answer's JSON body, as text and as
 * `structuredContent`; a refusal is a tool error whose text is the HTTP API's problem+json body.
 */
import { z } from 'zod';
import type { ResolvedClient } from '../config';
import { GatewayError, isGatewayError } from '../errors';
import { answerChunks } from '../gateway/answer-cache';
import type { Gateway } from '../gateway/gateway';
import { HISTORY_PARAMETERS, answerHistory, historyBody, parseHistoryQuery } from '../gateway/history';
import { QUERY_PARAMETERS, parseAnalyticsQuery, queryReader, type QueryParameter } from '../gateway/request';
import type { Logger } from '../logger';
import { ConnectionsResponseSchema, AnalyticsResponseSchema } from '../schema/envelope';
import { HistoryResponseSchema } from '../schema/history';
import type { HistoryStore } from '../store';
import { InboundLimiter } from '../server/inbound-limit';
import { problemBody } from '../server/problem';

type Json = Record<string, unknown>;
type Table = Readonly<Record<string, QueryParameter>>;

/** What a tool call answers with (the MCP `CallToolResult` this server sends). */
export interface ToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Json;
  isError?: boolean;
}

/** A tool as `tools/list` describes it. */
export interface ToolDescription {
  name: string;
  title: string;
  description: string;
  inputSchema: { type: 'object'; properties: Json; additionalProperties: false };
  outputSchema: Json & { type: 'object' };
  annotations: { readOnlyHint: true; openWorldHint: boolean };
}

export interface ToolDeps {
  gateway: Gateway;
  client: ResolvedClient;
  logger: Logger;
  /** The history store (absent: the history tool answers 503 as the HTTP route does). */
  store: HistoryStore | undefined;
  now: () => number;
  newRequestId: () => string;
}

/** JSON Schema of a zod schema (no `$schema`), as `/openapi.json` states it. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

/** The tools do not take the route's `format` (they answer JSON). */
function withoutFormat<T extends Table>(table: T): Omit<T, 'format'> {
  const { format: _format, ...rest } = table;
  return rest;
}

export const ANALYTICS_TOOL_PARAMETERS = withoutFormat(QUERY_PARAMETERS);
export const HISTORY_TOOL_PARAMETERS = withoutFormat(HISTORY_PARAMETERS);

function inputSchema(table: Table): ToolDescription['inputSchema'] {
  const properties: Json = {};
  for (const [name, definition] of Object.entries(table)) {
    properties[name] = { ...jsonSchema(definition.schema, 'input'), description: definition.description };
  }
  return { type: 'object', properties, additionalProperties: false };
}

function outputSchema(schema: z.ZodObject): ToolDescription['outputSchema'] {
  return { ...jsonSchema(schema, 'output'), type: 'object' };
}

/**
 * One argument as the query text the HTTP route would get: lists comma-joined, numbers and booleans
 * as written; null is "not given". Anything else becomes text its parameter's rule refuses.
 */
function queryText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean' ? String(item) : JSON.stringify(item))).join(',');
  return JSON.stringify(value);
}

/**
 * The arguments as the route's raw query. A parameter the route takes but the tool does not
 * (`format`) is refused here as unknown; everything else is left to the route's parser, so every
 * other problem is reported exactly as over HTTP.
 */
export function toQuery(args: Readonly<Record<string, unknown>> | undefined, route: Table, tool: Table): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [name, value] of Object.entries(args ?? {})) {
    const text = queryText(value);
    if (text !== undefined) raw[name] = text;
  }
  const routeOnly = Object.keys(raw).filter((name) => Object.prototype.hasOwnProperty.call(route, name) && !Object.prototype.hasOwnProperty.call(tool, name));
  if (routeOnly.length > 0) queryReader(Object.fromEntries(routeOnly.map((name) => [name, raw[name]])), tool).check();
  return raw;
}

function answer(body: Json, text: string, isError = false): ToolResult {
  return { content: [{ type: 'text', text }], structuredContent: body, ...(isError ? { isError } : {}) };
}

interface Tool {
  description: ToolDescription;
  call: (args: Readonly<Record<string, unknown>> | undefined, requestId: string) => Promise<ToolResult>;
}

export const TOOL_NAMES = ['campaign_analytics', 'campaign_history', 'connection_health'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

function tools(deps: ToolDeps): Record<ToolName, Tool> {
  const { gateway, client } = deps;
  return {
    campaign_analytics: {
      description: {
        name: 'campaign_analytics',
        title: 'Campaign analytics',
        description:
          'Normalized campaign analytics (sent, opened, replied, bounced, interested… and their rates) across Instantly, SendKit, Kakiyo and Seleqt, ' +
          `with totals and per-source status: the answer of GET /v1/campaigns/analytics for this client (workspaces: ${client.workspaces.join(', ')}; default ${client.defaultWorkspace}). ` +
          'Lists are arrays (or comma-separated text). A page of a long list: limit, then cursor = page.nextCursor.',
        inputSchema: inputSchema(ANALYTICS_TOOL_PARAMETERS),
        outputSchema: outputSchema(AnalyticsResponseSchema),
        annotations: { readOnlyHint: true, openWorldHint: true },
      },
      call: async (args, requestId) => {
        const request = parseAnalyticsQuery(toQuery(args, QUERY_PARAMETERS, ANALYTICS_TOOL_PARAMETERS));
        const result = await gateway.analytics(client, request, requestId);
        // The bytes the HTTP route sends (the cached serialization of the campaigns, then sources and meta).
        const text = Buffer.concat(answerChunks(result.body, result.json).pieces).toString('utf8');
        return answer(result.body, text, result.status !== 200);
      },
    },
    campaign_history: {
      description: {
        name: 'campaign_history',
        title: 'Campaign history',
        description:
          'Growth of the campaign metrics per day, week or month from the gateway\'s history store: the answer of GET /v1/campaigns/history for this client. ' +
          'Filters as campaign_analytics; interval, metrics and group_by shape the series.',
        inputSchema: inputSchema(HISTORY_TOOL_PARAMETERS),
        outputSchema: outputSchema(HistoryResponseSchema),
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      call: async (args, requestId) => {
        const now = deps.now();
        const request = parseHistoryQuery(toQuery(args, HISTORY_PARAMETERS, HISTORY_TOOL_PARAMETERS), now);
        const workspaces = gateway.resolveWorkspaces(client, request.workspaceId);
        const body = historyBody(await answerHistory(deps.store, workspaces, request), request, workspaces, requestId, now);
        return answer(body, JSON.stringify(body));
      },
    },
    connection_health: {
      description: {
        name: 'connection_health',
        title: 'Connection health',
        description:
          "This client's vendor connections and their health as this process sees them (circuit breaker, last success and error, cache age, campaign count): " +
          'the answer of GET /v1/connections. No vendor is called.',
        inputSchema: { type: 'object', properties: {}, additionalProperties: false },
        outputSchema: outputSchema(ConnectionsResponseSchema),
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      call: (args) => {
        // The route takes no parameters: any argument is refused as the route's reader refuses one.
        queryReader(toQuery(args, {}, {}), {}).check();
        const body = { data: gateway.connections(client) };
        return Promise.resolve(answer(body, JSON.stringify(body)));
      },
    },
  };
}

/** A refusal: the HTTP API's problem+json body as the tool error's text. */
function problemResult(error: GatewayError, requestId: string): ToolResult {
  const problem = problemBody(error.status, error.code, error.message, requestId, error.errors);
  return { content: [{ type: 'text', text: JSON.stringify(problem) }], isError: true };
}

/** The tool table of one client: descriptions for `tools/list`, and `call` for `tools/call`. */
export class GatewayTools {
  private readonly tools: Record<ToolName, Tool>;
  private readonly inbound: InboundLimiter;

  constructor(private readonly deps: ToolDeps) {
    this.tools = tools(deps);
    this.inbound = new InboundLimiter(deps.now);
  }

  list(): ToolDescription[] {
    return TOOL_NAMES.map((name) => this.tools[name].description);
  }

  has(name: string): name is ToolName {
    return (TOOL_NAMES as readonly string[]).includes(name);
  }

  /** Runs a tool; never throws for a caller's mistake or a vendor failure (those are tool errors). */
  async call(name: ToolName, args: Readonly<Record<string, unknown>> | undefined): Promise<ToolResult> {
    const { client, logger } = this.deps;
    const requestId = this.deps.newRequestId();
    const started = process.hrtime.bigint();
    let status = 200;
    try {
      // The client's inbound limit, as over HTTP (this process counts its own calls).
      const decision = this.inbound.check(client.id, client.requestsPerMinute);
      if (!decision.allowed) {
        throw new GatewayError(429, 'rate_limited', `this client is limited to ${decision.limit} requests per minute`, undefined, decision.retryAfterSeconds);
      }
      const result = await this.tools[name].call(args, requestId);
      if (result.isError) status = 502;
      return result;
    } catch (error) {
      if (isGatewayError(error)) {
        status = error.status;
        return problemResult(error, requestId);
      }
      status = 500;
      logger.error('unhandled error', { requestId, tool: name, error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
      return problemResult(new GatewayError(500, 'internal', 'an internal error occurred; the request id identifies it in the logs'), requestId);
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info('tool call', { requestId, client: client.id, tool: name, status, ms: Math.round(ms * 10) / 10 });
    }
  }
}
