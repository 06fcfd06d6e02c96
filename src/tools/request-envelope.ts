/** A request envelope written the way legacy clients send it (docs/protocol.md §1): used by tests and the benchmark. */
export function requestEnvelope(command: string, version: number, payload: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<ICQL xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://acmp.com/${command}Request_V${version}">
  <ACMP>
    <${command} ActionType="Request" version="${version}">
      <T${command}Request_V${version} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
${payload}
      </T${command}Request_V${version}>
    </${command}>
  </ACMP>
</ICQL>`;
}
