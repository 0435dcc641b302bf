#!/usr/bin/env node
/**
 * The command line:
 *   outreach-gateway [serve] [--config FILE]   serve real vendors (config from --config or OUTREACH_GATEWAY_CONFIG);
 *                                              with neither, runs the demo
 *   outreach-gateway demo                      simulators + gateway on loopback, prints a key and curl lines
 *   outreach-gateway check-config FILE         validates a config file; one line per problem, exit 1
 *   outreach-gateway hash-key KEY              prints the SHA-256 to put in clients[].keySha256
 *   outreach-gateway probe --config FILE [--connection ID] [--yes-spend-credits]
 *                                              the cheapest real call per connection: key, host, campaign
 *                                              count, warnings, rate-limit headers; exit 0 all good, 3 some failed
 *   outreach-gateway fetch [--config FILE] [--client ID] [--query 'workspace_id=ALL&providers=instantly']
 *                          [--format json|csv|ndjson] [--bom]
 *                                              one query in-process, the answer on stdout (for cron jobs);
 *                                              CSV/NDJSON: source problems on stderr;
 *                                              exit 0 complete, 3 partial, 1 failed
 *   outreach-gateway link --config FILE --client ID --query 'workspace_id=ALL' [--format csv|json|ndjson]
 *                         [--expires 90d|2027-03-31] [--endpoint analytics|history] [--base-url URL]
 *                                              prints a signed read-only URL for that one query (no key
 *                                              header needed); its id and expiry on stderr
 *   outreach-gateway mcp [--config FILE] --client ID
 *                                              an MCP server on stdin/stdout for one client's workspaces
 *                                              (tools: analytics, history, connection health); logs on stderr
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError, LINK_BASE_URL_PATTERN, loadConfigFile, type GatewayConfig } from './config';
import { isGatewayError } from './errors';
import { OUTPUT_FORMATS, parseAnalyticsQuery, type OutputFormat } from './gateway/request';
import { createLogger } from './logger';
import { createService } from './service';
import { stopOnSignals } from './server/drain';
import { csvChunks, csvColumns, ndjsonChunks, sourcesHeader } from './server/formats';
import { startDemo } from './demo';
import { formatProbes, probeAll } from './probe';
import { HISTORY_ROUTE, parseHistoryQuery } from './gateway/history';
import { ANALYTICS_ROUTE } from './server/hot-path';
import { parseExpiry, queryObject, signLink, LINK_PARAMETERS, MAX_LINK_DAYS, type QueryPair } from './server/links';
import { startMcp } from './mcp';

const USAGE = `usage:
  outreach-gateway [serve] [--config FILE]
  outreach-gateway demo
  outreach-gateway check-config FILE
  outreach-gateway hash-key KEY
  outreach-gateway probe --config FILE [--connection ID] [--yes-spend-credits]
  outreach-gateway fetch [--config FILE] [--client ID] [--query QUERYSTRING] [--format json|csv|ndjson] [--bom]
  outreach-gateway link [--config FILE] --client ID [--query QUERYSTRING] [--format csv|json|ndjson] [--expires 90d|DATE]
                        [--endpoint analytics|history] [--base-url URL]
  outreach-gateway mcp [--config FILE] --client ID`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** Raw text with its own line ends (CSV's CRLF); without it, `out` gets the text minus its final line end. */
  write?: (text: string) => void;
}

/** A query the gateway refuses (a GatewayError): its code, message and each bad parameter on stderr, exit 1; anything else is rethrown. */
function refused(error: unknown, io: CliIo): number {
  if (!isGatewayError(error)) throw error;
  io.err(`${error.code}: ${error.message}`);
  for (const problem of error.errors ?? []) io.err(`  ${problem.parameter}: ${problem.message}`);
  return 1;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  write: (text) => process.stdout.write(text),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

function configPath(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return flag ?? (env.OUTREACH_GATEWAY_CONFIG && env.OUTREACH_GATEWAY_CONFIG !== '' ? env.OUTREACH_GATEWAY_CONFIG : undefined);
}

/**
 * The one config check of `check-config`, `serve` and `fetch`: the resolved config, or undefined
 * after one stderr line per problem (each naming the file and the key path).
 */
function load(path: string, io: CliIo): GatewayConfig | undefined {
  try {
    return loadConfigFile(path, io.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) io.err(problem);
      return undefined;
    }
    throw error;
  }
}

async function serve(path: string, io: CliIo): Promise<number> {
  const config = load(path, io);
  if (!config) return 1;
  const service = createService(config, { history: true });
  const url = await service.listen();
  service.logger.info('listening', { url, connections: config.connections.length, workspaces: config.workspaces.length });
  stopOnSignals((signal) => service.close(undefined, signal), service.logger);
  return -1;
}

async function demo(io: CliIo): Promise<number> {
  const running = await startDemo({ env: io.env, out: io.out });
  stopOnSignals(async (signal) => {
    await running.service.close(undefined, signal);
    await running.close();
  }, running.service.logger);
  return -1;
}

interface FetchOptions {
  clientId: string | undefined;
  query: string;
  /** Like an Accept header: `format=` in the query wins. */
  format: OutputFormat | undefined;
  bom: boolean;
}

async function fetchOnce(path: string, options: FetchOptions, io: CliIo): Promise<number> {
  const { clientId, query } = options;
  const config = load(path, io);
  if (!config) return 1;
  const client = clientId === undefined ? config.clients[0] : config.clients.find((c) => c.id === clientId);
  if (!client) {
    io.err(`no client "${clientId ?? ''}" in ${path}`);
    return 1;
  }
  const logger = createLogger({ level: 'warn', secrets: () => config.secrets, stream: process.stderr });
  const service = createService(config, { logger });
  try {
    const request = parseAnalyticsQuery(Object.fromEntries(new URLSearchParams(query)), options.format);
    const answer = await service.gateway.analytics(client, request, `cli-${Date.now()}`);
    if (request.format === 'csv' || request.format === 'ndjson') {
      const chunks = request.format === 'csv' ? csvChunks(answer.body.data, csvColumns(request.shape?.fields), { bom: options.bom }) : ndjsonChunks(answer.body.data);
      // CSV chunks are UTF-8 bytes ending at a row's end, so each decodes whole.
      if (io.write) for (const chunk of chunks) io.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      else io.out([...chunks].join('').replace(/\r?\n$/, ''));
      // A flat file has no room for source status: a cron job's mail (stderr) gets it instead.
      const problems = sourcesHeader(answer.body.sources, Number.POSITIVE_INFINITY);
      if (problems !== undefined) io.err(`incomplete: ${problems}`);
      if (answer.body.page?.nextCursor) io.err(`next page: cursor=${answer.body.page.nextCursor}`);
    } else {
      io.out(JSON.stringify(answer.body, null, 2));
    }
    if (answer.status !== 200) return 1;
    return answer.complete ? 0 : 3;
  } catch (error) {
    return refused(error, io);
  }
}

export interface LinkOptions {
  clientId: string | undefined;
  query: string;
  format: string | undefined;
  expires: string | undefined;
  endpoint: string | undefined;
  baseUrl: string | undefined;
  /** The clock (tests); epoch ms. */
  now?: number;
}

const LINK_ENDPOINTS: Readonly<Record<string, string>> = { analytics: ANALYTICS_ROUTE, history: HISTORY_ROUTE };

/** The base URL links are printed with: --base-url, else links.baseUrl, else the listen address. */
function linkBase(config: GatewayConfig, flag: string | undefined): string {
  const configured = flag ?? config.links?.baseUrl;
  if (configured !== undefined) return configured.replace(/\/+$/, '');
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`;
}

/**
 * `link`: checks the query as the endpoint will (so a link never carries a 400 or a 403) and prints
 * the signed URL on stdout, its id and expiry on stderr. Exit 0 printed, 1 config or query problem,
 * 2 usage.
 */
function link(path: string, options: LinkOptions, io: CliIo): number {
  const config = load(path, io);
  if (!config) return 1;
  if (!config.links) {
    io.err(`${path}: links.secret is not set: add a links block with a secret of 32+ characters (README "Signed links")`);
    return 1;
  }
  const client = config.clients.find((c) => c.id === options.clientId);
  if (options.clientId === undefined || !client) {
    io.err(options.clientId === undefined ? 'link needs --client ID (the client whose workspaces and limit the link uses)' : `no client "${options.clientId}" in ${path}`);
    return options.clientId === undefined ? 2 : 1;
  }
  if (options.baseUrl !== undefined && !LINK_BASE_URL_PATTERN.test(options.baseUrl)) {
    io.err('--base-url must be an http:// or https:// URL without a query, e.g. https://gateway.example.com');
    return 2;
  }
  const route = LINK_ENDPOINTS[options.endpoint ?? 'analytics'];
  if (route === undefined) {
    io.err(`--endpoint must be one of ${Object.keys(LINK_ENDPOINTS).join(', ')}`);
    return 2;
  }
  const now = options.now ?? Date.now();
  const expires = parseExpiry(options.expires ?? '90d', now);
  if (expires === undefined) {
    io.err(`--expires must be a duration (30m, 12h, 90d, 2w) or a date (2027-03-31) in the future, at most ${MAX_LINK_DAYS} days away`);
    return 2;
  }
  let pairs: QueryPair[] = [...new URLSearchParams(options.query.replace(/^\?/, ''))];
  const reserved = pairs.find(([name]) => (LINK_PARAMETERS as readonly string[]).includes(name));
  if (reserved) {
    io.err(`--query must not hold "${reserved[0]}": the link adds it`);
    return 2;
  }
  // The format is part of what is signed: always in the query, so no Accept header can change it.
  const given = pairs.find(([name]) => name === 'format')?.[1];
  if (given !== undefined && options.format !== undefined && given !== options.format) {
    io.err(`--format ${options.format} and format=${given} in --query disagree`);
    return 2;
  }
  if (given === undefined) pairs = [...pairs, ['format', options.format ?? 'csv']];
  try {
    const raw = queryObject(pairs);
    const workspace = route === HISTORY_ROUTE ? parseHistoryQuery(raw, now).workspaceId : parseAnalyticsQuery(raw).workspaceId;
    if (workspace !== undefined && workspace !== 'ALL' && !client.workspaces.includes(workspace)) {
      io.err(`client "${client.id}" is not linked to workspace "${workspace}"; the link would answer 403`);
      return 1;
    }
  } catch (error) {
    return refused(error, io);
  }
  const signed = signLink(config.links.secret, { route, clientId: client.id, query: pairs, expires });
  io.out(`${linkBase(config, options.baseUrl)}${signed.path}`);
  io.err(`link ${signed.linkId} for client ${client.id}, expires ${new Date(expires * 1000).toISOString()}; revoke it alone by adding "${signed.linkId}" to links.revoked, or every link by changing links.secret`);
  return 0;
}

async function probe(path: string, connectionId: string | undefined, spendCredits: boolean, io: CliIo): Promise<number> {
  const config = load(path, io);
  if (!config) return 1;
  if (connectionId !== undefined && !config.connections.some((c) => c.id === connectionId)) {
    io.err(`no connection "${connectionId}" in ${path}`);
    return 2;
  }
  const probes = await probeAll(config, { connectionId, spendCredits });
  for (const line of formatProbes(probes, config.secrets)) io.out(line);
  return probes.some((p) => p.outcome === 'failed') ? 3 : 0;
}

/** `mcp`: serves MCP on stdin/stdout until stdin ends or a signal comes. */
async function mcp(path: string, clientId: string, io: CliIo): Promise<number> {
  const config = load(path, io);
  if (!config) return 1;
  const client = config.clients.find((c) => c.id === clientId);
  if (!client) {
    io.err(`no client "${clientId}" in ${path}`);
    return 1;
  }
  const running = await startMcp(config, client);
  const stopSignals = stopOnSignals((signal) => {
    running.service.logger.info('mcp stopping', { signal });
    return running.close();
  }, running.service.logger);
  // The client closing its end of stdin ends the session.
  process.stdin.once('end', () => {
    stopSignals();
    void running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  return -1;
}

/** Runs the CLI; resolves with an exit code, or -1 for a long-running server. */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      client: { type: 'string' },
      query: { type: 'string', short: 'q' },
      format: { type: 'string', short: 'f' },
      bom: { type: 'boolean' },
      connection: { type: 'string' },
      'yes-spend-credits': { type: 'boolean' },
      expires: { type: 'string' },
      endpoint: { type: 'string' },
      'base-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command = 'serve', ...rest] = positionals;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  switch (command) {
    case 'serve': {
      const path = configPath(values.config, io.env);
      return path === undefined ? demo(io) : serve(path, io);
    }
    case 'demo':
      return demo(io);
    case 'check-config': {
      const path = rest[0] ?? values.config;
      if (path === undefined) {
        io.err(USAGE);
        return 2;
      }
      const config = load(path, io);
      if (!config) return 1;
      io.out(`${path}: ok (${config.workspaces.length} workspaces, ${config.connections.length} connections, ${config.clients.length} clients)`);
      return 0;
    }
    case 'hash-key': {
      const key = rest[0];
      if (key === undefined || key === '') {
        io.err(USAGE);
        return 2;
      }
      io.out(createHash('sha256').update(key).digest('hex'));
      return 0;
    }
    case 'probe': {
      const path = configPath(values.config, io.env) ?? rest[0];
      if (path === undefined) {
        io.err('probe needs --config FILE or OUTREACH_GATEWAY_CONFIG');
        return 2;
      }
      return probe(path, values.connection, values['yes-spend-credits'] ?? false, io);
    }
    case 'fetch': {
      const path = configPath(values.config, io.env);
      if (path === undefined) {
        io.err('fetch needs --config FILE or OUTREACH_GATEWAY_CONFIG');
        return 2;
      }
      const format = values.format === undefined ? undefined : OUTPUT_FORMATS.find((f) => f === values.format);
      if (values.format !== undefined && format === undefined) {
        io.err(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`);
        return 2;
      }
      return fetchOnce(path, { clientId: values.client, query: values.query ?? '', format, bom: values.bom ?? false }, io);
    }
    case 'link': {
      const path = configPath(values.config, io.env);
      if (path === undefined) {
        io.err('link needs --config FILE or OUTREACH_GATEWAY_CONFIG');
        return 2;
      }
      return link(
        path,
        { clientId: values.client, query: values.query ?? '', format: values.format, expires: values.expires, endpoint: values.endpoint, baseUrl: values['base-url'] },
        io,
      );
    }
    case 'mcp': {
      const path = configPath(values.config, io.env);
      if (path === undefined || values.client === undefined) {
        io.err('mcp needs --config FILE (or OUTREACH_GATEWAY_CONFIG) and --client ID');
        return 2;
      }
      return mcp(path, values.client, io);
    }
    default:
      io.err(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
