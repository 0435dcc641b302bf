/**
 * `outreach-gateway mcp --config FILE --client ID`: the gateway as an MCP server over stdio, for
 * one configured client. The process wires the same service as `serve` (service.ts: caches, rate
 * limiters, circuit breakers, the shared Redis tier when configured, the history store) but listens
 * on no port and runs no scheduled sync: an agent's process lives for a conversation, and N of them
 * each refreshing every connection would multiply vendor calls and Kakiyo credits. A running
 * `serve` keeps the shared cache warm (with Redis, this process reads it too). Its history store is
 * opened like `serve`'s (the history tool reads it, and its own complete walks are recorded); an
 * embedded store directory already held by a running `serve` is refused, and the history tool then
 * answers 503 as the HTTP route would: share a PostgreSQL server (`storage.url`) to have both.
 *
 * stdout is the protocol: log lines go to stderr (secrets redacted as everywhere), and anything a
 * library prints through `console` is sent there too.
 */
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayConfig, ResolvedClient } from '../config';
import { createLogger } from '../logger';
import { VERSION } from '../server/app';
import { createService, type GatewayService } from '../service';
import { GatewayTools } from './tools';

export const MCP_SERVER_NAME = 'outreach-gateway';

/** An MCP server (not yet connected) answering `tools/list` and `tools/call` with the tools. */
export function createMcpServer(tools: GatewayTools, client: ResolvedClient): Server {
  // The low-level server: the tools check their arguments with the HTTP route's own parser (its
  // problem texts), so the SDK must not validate them first against the advertised schema.
  const server = new Server(
    { name: MCP_SERVER_NAME, title: 'Outreach Gateway', version: VERSION },
    {
      capabilities: { tools: { listChanged: false } },
      instructions:
        `Campaign analytics of cold-outreach vendors (Instantly, SendKit, Kakiyo, Seleqt), normalized, for client "${client.id}" ` +
        `(workspaces: ${client.workspaces.join(', ')}; workspace_id ALL for all). Tools answer with the gateway HTTP API's JSON bodies; ` +
        'null means the vendor does not report a number.',
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: tools.list() }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const { name, arguments: args } = request.params;
    if (!tools.has(name)) return { content: [{ type: 'text', text: `unknown tool "${name.slice(0, 64)}"` }], isError: true };
    return tools.call(name, args);
  });
  return server;
}

export interface RunningMcp {
  service: GatewayService;
  server: Server;
  /** Closes the MCP session and the service (idempotent). */
  close(): Promise<void>;
}

/**
 * Starts the MCP server on this process's stdin/stdout for `client`. Resolves once it is connected;
 * the returned `close` (also called when stdin ends) stops it.
 */
export async function startMcp(config: GatewayConfig, client: ResolvedClient): Promise<RunningMcp> {
  // Nothing but protocol messages on stdout.
  for (const method of ['log', 'info', 'debug'] as const) {
    console[method] = (...args: unknown[]) => void process.stderr.write(`${format(...args)}\n`);
  }
  const logger = createLogger({ level: config.log.level, secrets: () => config.secrets, stream: process.stderr });
  const service = createService(config, { logger, history: true, sync: false });
  // The store opens before the handshake, as `serve` opens it before it listens: the embedded
  // database's start-up holds the event loop for seconds, which must not land on a tool call's
  // vendor calls and deadline. An unreachable store does not stop the server (history answers 503).
  await service.store?.start();
  const tools = new GatewayTools({ gateway: service.gateway, client, logger, store: service.store, now: Date.now, newRequestId: randomUUID });
  const server = createMcpServer(tools, client);
  await server.connect(new StdioServerTransport());
  logger.info('mcp ready', { client: client.id, workspaces: client.workspaces, connections: config.connections.length });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await server.close().catch(() => undefined);
      await service.close();
    })());
  return { service, server, close };
}
