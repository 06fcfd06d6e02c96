// "Download as fixture": one logged ICQL exchange as a fixture case that `npm run replay` takes
// as it is (a .tar of <Command>_V<N>/<case>/request.xml + response.xml; `tar -xf` also unpacks
// it into fixtures/). Times of the moment are turned into {{datetime}} as a recording does.
import { withPlaceholders } from '../tools/fixtures/compare';
import { writeTar } from '../tools/fixtures/tar';
import type { ExchangeDetail } from './queries';

export interface FixtureDownload {
  fileName: string;
  archive: Buffer;
}

/** The fixture case of an exchange, or why there is none (a message for the operator). */
export function fixtureOf(e: ExchangeDetail): FixtureDownload | { refused: string } {
  if (e.transport !== 'xml') {
    return { refused: `Exchange ${e.id} came over ${e.transport}; fixtures hold ICQL documents, so only exchanges sent to POST /acmp can be downloaded as one` };
  }
  if (e.commands.length === 0) return { refused: `Exchange ${e.id} names no command (the gateway could not read it), so there is no fixture folder to put it in` };
  const folder = `${e.commands[0]}/log-${e.id}`;
  return {
    fileName: `${e.commands[0]}-log-${e.id}.tar`,
    archive: writeTar({ [`${folder}/request.xml`]: e.requestBody, [`${folder}/response.xml`]: withPlaceholders(e.responseBody, Date.parse(e.at)) }),
  };
}
