import { Note } from "@fedify/vocab";

/**
 * The copy of a need or offer that `Create` and `Update` embed: a plain
 * `Note` with standard ActivityStreams terms only, taken from the full
 * document served at the object's id (proposal-object.ts) so both say the
 * same. Microblog servers, and readers that never dereference a string
 * `object`, show it as it arrives; Fedify re-compacts an embedded object with
 * the activity's context, which keeps these terms and would drop the
 * FEP-0837 ones. Software that wants those fetches the full document from the
 * id (this one always does; FEDERATION.md, "Activities sent").
 */
const NOTE_FIELDS = [
  "id",
  "attributedTo",
  "to",
  "cc",
  "name",
  "content",
  "contentMap",
  "mediaType",
  "url",
  "published",
  "updated",
  "tag",
] as const;

/** `Hashtag` is Mastodon's extension of the vocabulary, not in the AS context document. */
const NOTE_CONTEXT = ["https://www.w3.org/ns/activitystreams", { Hashtag: "as:Hashtag" }];

export function embeddedNoteJson(document: Record<string, unknown>): Record<string, unknown> {
  const note: Record<string, unknown> = { "@context": NOTE_CONTEXT, type: "Note" };
  for (const field of NOTE_FIELDS) {
    if (document[field] !== undefined) note[field] = document[field];
  }
  return note;
}

export function embeddedNote(document: Record<string, unknown>): Promise<Note> {
  return Note.fromJsonLd(embeddedNoteJson(document));
}
