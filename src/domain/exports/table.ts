import { type Listing, purposeWord } from "../listing.ts";
import { type CsvCell, num, text, toCsv } from "./csv.ts";
import { type ExportDocument, isoSeconds } from "./document.ts";
import { ENGLISH_FEED_WORDS, type FeedWords } from "./feeds.ts";

/**
 * The columns of the CSV and HXL exports, in order: a header a person reads,
 * the HXL hashtag an aggregator reads, and the cell.
 *
 * HXL mapping (hashtags from the HXL core dictionary; our choices noted):
 * the title is `#item+name`; the text of a need goes under `#need`, of an
 * offer under `#offer` (each row fills one of the two), so filtering on
 * `#need` gives what is needed; the category is a `#sector` (`+code`: our
 * slug, `+name`: its label) and `#meta+hxl` carries the category's own
 * vocabulary hashtag (`#item+food`…); urgency is `#severity`; quantities are
 * `#indicator` numbers; dates are `#date+reported` (published),
 * `#date+updated` and `#date+end` (needed by / available until); the group
 * is `#org` (`+name`, `+id`: its ActivityPub actor id).
 *
 * The headers and the category label are told in the reader's language
 * (`FeedWords`); the hashtags and every code stay as they are, so programs
 * read the same columns whatever language a person downloaded them in.
 */
interface Column {
  readonly id: TableColumn;
  /** The English header, as the CSV has always had it. */
  readonly header: string;
  readonly hxl: string;
  readonly cell: (listing: Listing, words: FeedWords) => CsvCell;
}

export type TableColumn =
  | "id"
  | "page"
  | "type"
  | "title"
  | "need"
  | "offer"
  | "category"
  | "categoryLabel"
  | "categoryHxl"
  | "status"
  | "urgency"
  | "quantity"
  | "unit"
  | "remaining"
  | "place"
  | "latitude"
  | "longitude"
  | "published"
  | "updated"
  | "until"
  | "group"
  | "groupId"
  | "sharedBy"
  | "notConfirmedSince";

const date = (instant: Temporal.Instant | null) =>
  text(instant === null ? "" : isoSeconds(instant));

export const COLUMNS: readonly Column[] = [
  { id: "id", header: "Id", hxl: "#meta+id", cell: (l) => text(l.objectId) },
  { id: "page", header: "Page", hxl: "#meta+url", cell: (l) => text(l.url) },
  { id: "type", header: "Type", hxl: "#meta+type", cell: (l) => text(purposeWord(l.purpose)) },
  { id: "title", header: "Title", hxl: "#item+name", cell: (l) => text(l.title) },
  {
    id: "need",
    header: "Need",
    hxl: "#need+description",
    cell: (l) => text(l.purpose === "request" ? l.summary : ""),
  },
  {
    id: "offer",
    header: "Offer",
    hxl: "#offer+description",
    cell: (l) => text(l.purpose === "offer" ? l.summary : ""),
  },
  { id: "category", header: "Category", hxl: "#sector+code", cell: (l) => text(l.category?.slug) },
  {
    id: "categoryLabel",
    header: "Category label",
    hxl: "#sector+name",
    cell: (l, words) =>
      text(l.category === null ? undefined : words.category(l.category.slug, l.category.label)),
  },
  {
    id: "categoryHxl",
    header: "Category HXL tag",
    hxl: "#meta+hxl",
    cell: (l) => text(l.category?.hxl),
  },
  { id: "status", header: "Status", hxl: "#status", cell: (l) => text(l.status) },
  { id: "urgency", header: "Urgency", hxl: "#severity", cell: (l) => text(l.urgency) },
  {
    id: "quantity",
    header: "Quantity",
    hxl: "#indicator+quantity+num",
    cell: (l) => num(l.quantity?.amount),
  },
  { id: "unit", header: "Unit", hxl: "#indicator+unit", cell: (l) => text(l.quantity?.unit) },
  {
    id: "remaining",
    header: "Still needed or available",
    hxl: "#indicator+remaining+num",
    cell: (l) => num(l.quantity?.remaining),
  },
  { id: "place", header: "Place", hxl: "#loc+name", cell: (l) => text(l.location?.name) },
  { id: "latitude", header: "Latitude", hxl: "#geo+lat", cell: (l) => num(l.location?.latitude) },
  {
    id: "longitude",
    header: "Longitude",
    hxl: "#geo+lon",
    cell: (l) => num(l.location?.longitude),
  },
  { id: "published", header: "Published", hxl: "#date+reported", cell: (l) => date(l.publishedAt) },
  { id: "updated", header: "Updated", hxl: "#date+updated", cell: (l) => date(l.updatedAt) },
  {
    id: "until",
    header: "Needed or available until",
    hxl: "#date+end",
    cell: (l) => date(l.expiresAt),
  },
  {
    id: "group",
    header: "Group",
    hxl: "#org+name",
    cell: (l) => text(l.origin.name ?? l.origin.handle),
  },
  { id: "groupId", header: "Group id", hxl: "#org+id", cell: (l) => text(l.origin.actorId) },
  {
    id: "sharedBy",
    header: "Shared by",
    hxl: "#org+shared+id",
    cell: (l) => text(l.sharedBy.join(" ")),
  },
  // A received copy whose origin has stopped answering: when it last confirmed it.
  {
    id: "notConfirmedSince",
    header: "Not confirmed since",
    hxl: "#date+unconfirmed",
    cell: (l) => date(l.notConfirmedSince),
  },
];

function header(words: FeedWords): CsvCell[] {
  return COLUMNS.map((c) => text(words.columnHeader(c.id, c.header)));
}

function rows(listings: readonly Listing[], words: FeedWords): CsvCell[][] {
  return listings.map((listing) => COLUMNS.map((c) => c.cell(listing, words)));
}

/** Plain CSV: a header row, then one row per listing. */
export function listingsCsv(document: ExportDocument, words = ENGLISH_FEED_WORDS): string {
  return toCsv([header(words), ...rows(document.listings, words)]);
}

/** HXL: the same CSV with the hashtag row under the headers. */
export function listingsHxl(document: ExportDocument, words = ENGLISH_FEED_WORDS): string {
  return toCsv([header(words), COLUMNS.map((c) => text(c.hxl)), ...rows(document.listings, words)]);
}
