// The XSD text GetCommandSchemas returns: the command's own file with every xs:include replaced
// by the included definitions, so a client gets one self-contained schema from the same files
// that validate requests.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const cache = new Map<string, string>();
const INCLUDE = /[ \t]*<xs:include schemaLocation="([^"]+)"\s*\/>\r?\n?/g;

export function selfContainedXsd(xsdDir: string, key: string): string {
  let text = cache.get(key);
  if (text === undefined) {
    const seen = new Set<string>();
    const file = path.join(xsdDir, `${key}.xsd`);
    text = readFileSync(file, 'utf8').replace(INCLUDE, (_m, loc: string) =>
      inlined(path.resolve(path.dirname(file), loc), seen),
    );
    cache.set(key, text);
  }
  return text;
}

function inlined(file: string, seen: Set<string>): string {
  if (seen.has(file)) return '';
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const body = text.slice(
    text.indexOf('>', text.indexOf('<xs:schema')) + 1,
    text.lastIndexOf('</xs:schema>'),
  );
  const comment = `  <!-- from ${path.basename(path.dirname(file))}/${path.basename(file)} -->\n`;
  return (
    comment +
    body
      .replace(/^\r?\n/, '')
      .replace(INCLUDE, (_m, loc: string) => inlined(path.resolve(path.dirname(file), loc), seen))
  );
}

/**
 * The definitions of several command versions and of every file they include, each file once,
 * as the body of one schema: the types section of the SOAP WSDL.
 */
export function mergedXsdDefinitions(xsdDir: string, keys: string[]): string {
  const seen = new Set<string>();
  return keys.map((key) => inlined(path.join(xsdDir, `${key}.xsd`), seen)).join('');
}
