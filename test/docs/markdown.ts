// Reading the project's Markdown pages the way GitHub renders them: their links (outside code)
// and the anchors their headings get.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

/** README.md and every page of docs/, as paths relative to the project folder. */
export function markdownPages(): string[] {
  const docs = readdirSync(path.join(PROJECT_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

export function readPage(page: string): string {
  return readFileSync(path.join(PROJECT_ROOT, page), 'utf8');
}

/** The text with fenced code blocks blanked out (line numbers stay), which GitHub renders literally. */
export function withoutFences(markdown: string): string {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const opening = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === undefined && opening) {
      fence = opening[1];
      lines.push('');
    } else if (fence !== undefined) {
      const t = line.trim();
      if (t.startsWith(fence) && /^[`~]+$/.test(t)) fence = undefined;
      lines.push('');
    } else lines.push(line);
  }
  return lines.join('\n');
}

/** The text without fenced code blocks and inline code spans. */
export function withoutCode(markdown: string): string {
  return withoutFences(markdown)
    .split('\n')
    .map((line) => line.replace(/(`+)(?:(?!\1).)*?\1/g, (m) => ' '.repeat(m.length)))
    .join('\n');
}

export interface Link {
  page: string;
  line: number;
  target: string;
}

/** Every inline link and image target of a page, outside code: `[text](target)`, `![alt](target "title")`. */
export function linksOf(page: string): Link[] {
  const links: Link[] = [];
  withoutCode(readPage(page))
    .split('\n')
    .forEach((text, i) => {
      for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
        links.push({ page, line: i + 1, target: m[1] });
      // Reference definitions: [name]: target
      const ref = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/.exec(text);
      if (ref) links.push({ page, line: i + 1, target: ref[1] });
    });
  return links;
}

/** Whether a link leaves the repository (a URL with a scheme, or protocol-relative). */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/**
 * GitHub's anchor for a heading: the rendered text in lower case, every character that is not a
 * letter, a digit, a space, '-' or '_' dropped, spaces turned into '-'. Inline code keeps its text,
 * emphasis markers and link syntax go.
 */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/`/g, '')
    .replace(/<[^>]+>/g, '') // inline HTML tags
    .replace(/(\*\*|__|\*)/g, ''); // emphasis (a single '_' is kept: GitHub keeps it in words)
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a page's headings, duplicates numbered as GitHub does (`x`, `x-1`, `x-2`). */
export function anchorsOf(page: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(readPage(page)).split('\n')) {
    const m = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** What is wrong with a relative link, or undefined when it resolves. */
export function problemOf(link: Link): string | undefined {
  const [rawPath, anchor] = link.target.split('#', 2) as [string, string | undefined];
  const file = decodeURIComponent(rawPath);
  const resolved =
    file === ''
      ? link.page
      : path.posix.normalize(path.posix.join(path.posix.dirname(link.page), file));
  const where = `${link.page}:${link.line}: (${link.target})`;
  if (resolved.startsWith('..')) return `${where} leads out of the repository`;
  const absolute = path.join(PROJECT_ROOT, resolved);
  if (!existsSync(absolute)) return `${where}: ${resolved} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (!resolved.endsWith('.md'))
    return `${where}: an #anchor on ${resolved}, which has no headings`;
  if (!anchorsOf(resolved).has(decodeURIComponent(anchor)))
    return `${where}: ${resolved} has no heading with the anchor #${anchor}`;
  return undefined;
}
