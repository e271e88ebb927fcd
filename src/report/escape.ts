/**
 * Strings from a scenario (names, descriptions, variants, plan labels) reach a terminal, an SVG and an HTML
 * page: whatever they hold must show as text there and never act as markup or as a terminal command.
 */

/**
 * Control characters as visible symbols: C0 controls (but tab and newline when `keepLines`) become their
 * Unicode control pictures (ESC as ␛), DEL ␡, and C1 controls (U+0080–U+009F, which terminals also obey) ⍰.
 * XML 1.0 forbids most C0 controls even as character references, so an SVG cannot carry them at all.
 */
export function printable(s: string, keepLines = false): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (keepLines && (c === '\n' || c === '\t')) return c;
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    return code === 0x7f ? '\u2421' : '\u2370';
  });
}

const XML_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text for XML and HTML content and attribute values: markup characters as entities, control characters as
 * visible symbols (a line break in an attribute or an SVG text would be folded anyway). Unpaired surrogates,
 * which no XML parser accepts, become U+FFFD.
 */
export function escapeXml(s: string): string {
  return printable(s)
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/[\ufffe\uffff]/g, '\ufffd')
    .replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!);
}
