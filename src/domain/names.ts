/**
 * The one cleaning every name goes through, whoever wrote it: a collective's
 * name typed here, a remote actor's `name`, an incident's name local or
 * received. Names are shown on pages, in exports and to other instances, so
 * what an impostor could use to disguise one must go the same way for all of
 * them: controls become spaces; format characters (bidirectional overrides
 * and isolates, zero-width spaces, the byte-order mark) go; whitespace
 * collapses to single spaces, trimmed. The zero-width joiner stays: emoji
 * sequences need it.
 */

const CONTROL = /\p{Cc}/gu;
const FORMAT = /[\p{Cf}--[\u200d]]/gv;
// Lone surrogates have no meaning in a name and break UTF-8 storage.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function cleanName(value: string): string {
  return value
    .replace(CONTROL, " ")
    .replace(FORMAT, "")
    .replace(LONE_SURROGATE, "")
    .replace(/\s+/g, " ")
    .trim();
}
