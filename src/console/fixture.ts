// "Download as fixture": one logged exchange as a fixture case that `npm run replay` takes as it
// is: a .tar of <Command>_V<N>/<case>/request.xml + response.xml (`tar -xf` also unpacks it into
// fixtures/). The case is exactly what `npm run log -- export` writes for that row.
import { fixtureCaseOf } from '../fixtures/from-log';
import { writeTar } from '../fixtures/tar';
import type { ExchangeDetail } from './queries';

export interface FixtureDownload {
  fileName: string;
  archive: Buffer;
}

/** The fixture case of an exchange, or why there is none (a message for the operator). */
export function fixtureOf(e: ExchangeDetail): FixtureDownload | { refused: string } {
  const c = fixtureCaseOf({
    id: String(e.id),
    at: new Date(e.at),
    request_id: e.requestId,
    transport: e.transport,
    path: e.path,
    commands: e.commands,
    result_code: e.resultCode,
    http_status: e.httpStatus,
    request_body: e.requestBody,
    response_body: e.responseBody,
  });
  if ('skip' in c) return { refused: `Exchange ${e.id} cannot be a fixture case: ${c.skip}` };
  return {
    fileName: `${c.folder.replace('/', '-')}.tar`,
    archive: writeTar({
      [`${c.folder}/request.xml`]: c.request,
      [`${c.folder}/response.xml`]: c.response,
    }),
  };
}
