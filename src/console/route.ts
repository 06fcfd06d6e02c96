// GET /console: the operators' page over the communication log and the SICS bus's dead letters.
// The page is a plain HTML shell with one served script and style sheet (no CDN: it works
// offline); its data comes from the JSON API below, which needs the ADMIN permission once
// authentication is on.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type NextFunction, type Request, type Response, Router } from 'express';
import type { Knex } from 'knex';
import { BUS_CHANNEL } from '../bus/bus';
import { listDeadLetters, resendDeadLetter } from '../bus/store';
import type { AuthMode } from '../config';
import { PROJECT_ROOT } from '../config';
import type { IdentityLimits } from '../identity/limits';
import { SESSION_HEADER, sessionUser } from '../identity/sessions';
import { callerOf } from '../identity/users';
import { fixtureOf } from './fixture';
import { consolePage } from './page';
import { commandCharts, type ExchangeFilter, exchangeById, listExchanges } from './queries';

export interface ConsoleDeps {
  db: Knex;
  authMode: AuthMode;
  limits?: IdentityLimits;
}

const PUBLIC = path.join(PROJECT_ROOT, 'src/console/public');
const ASSETS: Record<string, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};
/** The page runs only its own script: a logged body that slipped into the DOM could not run. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
const PAGE_SIZE = 50;
const TAIL_SIZE = 500;
/** The dead letters the console lists, newest first. */
export const DEAD_LETTERS_SHOWN = 200;

export function consoleRouter({ db, authMode, limits }: ConsoleDeps): Router {
  const router = Router();
  const assets = new Map<string, string>();

  router.get('/console', (_req, res) => {
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': CSP,
      'Cache-Control': 'no-store',
    });
    res.send(consolePage(authMode));
  });
  router.get('/console/:asset', (req, res, next) => {
    const type = ASSETS[req.params.asset];
    if (!type) return next();
    if (!assets.has(req.params.asset))
      assets.set(req.params.asset, readFileSync(path.join(PUBLIC, req.params.asset), 'utf8'));
    res
      .set({ 'Content-Type': type, 'Cache-Control': 'no-cache' })
      .send(assets.get(req.params.asset));
  });

  /** The console's data is every user's traffic: administrators only, unless the gateway runs open. */
  const adminOnly = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const session = req.get(SESSION_HEADER);
      // Open mode without a session acts as Settings.ApiUserId, who holds every permission (docs/protocol.md §5).
      if (!session && authMode === 'open') return next();
      if (!session)
        return refuse(
          res,
          401,
          `The console needs an administrator: log in with LoginAcmpUser_V1 and send the session in ${SESSION_HEADER}`,
        );
      const userId = await sessionUser(db, session, limits?.session);
      const user = userId === undefined ? undefined : await callerOf(db, userId);
      if (!user)
        return refuse(
          res,
          401,
          `The session in ${SESSION_HEADER} is unknown or has expired: log in again`,
        );
      if (!user.permissions.includes('ADMIN'))
        return refuse(
          res,
          403,
          `The console needs the permission ADMIN, which user ${user.name} does not have: log in as an administrator`,
        );
      next();
    } catch (error) {
      next(error);
    }
  };

  router.get('/console/api/exchanges', adminOnly, async (req, res, next) => {
    try {
      const filter = filterOf(req.query as Record<string, unknown>);
      if (typeof filter === 'string') return refuse(res, 400, filter);
      res.json({ exchanges: await listExchanges(db, filter) });
    } catch (error) {
      next(error);
    }
  });

  router.get('/console/api/exchanges/:id', adminOnly, async (req, res, next) => {
    try {
      const e = /^\d{1,15}$/.test(req.params.id)
        ? await exchangeById(db, Number(req.params.id))
        : undefined;
      if (!e)
        return refuse(
          res,
          404,
          `There is no exchange ${req.params.id} in the communication log (retention may have removed it)`,
        );
      res.json(e);
    } catch (error) {
      next(error);
    }
  });

  router.get('/console/api/exchanges/:id/fixture', adminOnly, async (req, res, next) => {
    try {
      const e = /^\d{1,15}$/.test(req.params.id)
        ? await exchangeById(db, Number(req.params.id))
        : undefined;
      if (!e)
        return refuse(
          res,
          404,
          `There is no exchange ${req.params.id} in the communication log (retention may have removed it)`,
        );
      const fixture = fixtureOf(e);
      if ('refused' in fixture) return refuse(res, 409, fixture.refused);
      res
        .set({
          'Content-Type': 'application/x-tar',
          'Content-Disposition': `attachment; filename="${fixture.fileName}"`,
        })
        .send(fixture.archive);
    } catch (error) {
      next(error);
    }
  });

  router.get('/console/api/charts', adminOnly, async (_req, res, next) => {
    try {
      res.json(await commandCharts(db));
    } catch (error) {
      next(error);
    }
  });

  router.get('/console/api/dead-letters', adminOnly, async (_req, res, next) => {
    try {
      res.json({
        deadLetters: await listDeadLetters(db, DEAD_LETTERS_SHOWN),
        limit: DEAD_LETTERS_SHOWN,
      });
    } catch (error) {
      next(error);
    }
  });

  router.post(
    '/console/api/dead-letters/:id/resend',
    adminOnly,
    fromThePage,
    async (req, res, next) => {
      try {
        const id = req.params.id;
        if (!(await resendDeadLetter(db, id, BUS_CHANNEL)))
          return refuse(
            res,
            404,
            `There is no dead letter ${id}: it was sent back already, or it expired (ACMP_SICS_MESSAGE_TTL_SECONDS), or its target was deleted`,
          );
        res.json({
          id,
          resent: true,
          message: `Dead letter ${id} is back in its queue, in its old place, and is delivered again with its deliveries counted from 0`,
        });
      } catch (error) {
        next(error);
      }
    },
  );

  router.all('/console/api/*', (_req, res) =>
    refuse(
      res,
      404,
      'Unknown console API call: GET /console/api/exchanges[/<id>[/fixture]], /console/api/charts or /console/api/dead-letters; POST /console/api/dead-letters/<id>/resend',
    ),
  );
  return router;
}

/**
 * A console change comes from the console's own page, never from a form or script of another
 * site. The session travels in a header, not a cookie, so another site cannot send it; but in
 * open mode a change needs no session. A browser marks another site's request (Sec-Fetch-Site),
 * and cannot send one with Content-Type application/json there without a CORS preflight, which
 * the gateway never grants.
 */
function fromThePage(req: Request, res: Response, next: NextFunction): void {
  const site = req.get('Sec-Fetch-Site');
  if (site && site !== 'same-origin' && site !== 'none')
    return refuse(
      res,
      403,
      `Console changes are accepted from the console's own page only, not from another site (Sec-Fetch-Site: ${site})`,
    );
  if (!/^application\/json\s*(;|$)/i.test(req.get('Content-Type') ?? ''))
    return refuse(res, 415, 'Send console changes with Content-Type: application/json');
  next();
}

function refuse(res: Response, status: number, error: string): void {
  res.status(status).json({ error });
}

/** The list's query string, checked: a filter, or the message of a 400. */
function filterOf(q: Record<string, unknown>): ExchangeFilter | string {
  const text = (name: string) =>
    typeof q[name] === 'string' && q[name] !== '' ? (q[name] as string) : undefined;
  const int = (name: string) => {
    const v = text(name);
    return v === undefined ? undefined : /^-?\d{1,9}$/.test(v) ? Number(v) : NaN;
  };
  const date = (name: string) => {
    const v = text(name);
    return v === undefined ? undefined : new Date(v);
  };
  const f: ExchangeFilter = {
    command: text('command'),
    resultCode: int('result'),
    user: text('user'),
    from: date('from'),
    to: date('to'),
    before: int('before'),
    after: int('after'),
    limit: text('after') ? TAIL_SIZE : PAGE_SIZE,
  };
  if (f.command && !/^[A-Za-z]\w*$/.test(f.command))
    return `command "${f.command}" is not a command name like SaveTicket or SaveTicket_V4`;
  for (const name of ['resultCode', 'before', 'after'] as const)
    if (Number.isNaN(f[name]))
      return `${name === 'resultCode' ? 'result' : name} must be a whole number`;
  for (const name of ['from', 'to'] as const)
    if (f[name] && Number.isNaN(f[name]!.getTime()))
      return `${name} must be a date and time, e.g. 2026-11-24T20:00:00Z`;
  return f;
}
