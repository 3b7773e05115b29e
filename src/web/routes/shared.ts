import type { Context } from "hono";
import type { Kysely } from "kysely";
import type { Database } from "../../db/database.ts";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import type { Group } from "../../domain/group.ts";
import type { InstanceUrls } from "../../urls.ts";
import { pageContext } from "../context.ts";
import { renderDocument } from "../layout.ts";
import { MessagePage } from "../pages/message.ts";
import { formBodyLimit, sameOriginForms } from "../request-guards.ts";

/** A text field of a parsed form; "" when absent or a file. */
export const formField = (form: Record<string, unknown>, name: string): string =>
  typeof form[name] === "string" ? (form[name] as string) : "";

/** What every form POST goes through first: the size limit, then the same-origin check. */
export const formGuards = (urls: InstanceUrls) =>
  [formBodyLimit(urls), sameOriginForms(urls)] as const;

/** A one-sentence page (not found, gone, refused) in the reader's language. */
export function messagePage(
  c: Context,
  urls: InstanceUrls,
  title: string,
  text: string,
  status: 401 | 403 | 404 | 409 | 410,
) {
  const page = pageContext(c, urls);
  return c.html(renderDocument(MessagePage({ page, title, text })), status);
}

/** The route's group, if the signed-in account coordinates it. */
export async function coordinatedGroup(db: Kysely<Database>, c: Context): Promise<Group | null> {
  const group = await findGroupByHandle(db, c.req.param("handle") ?? "");
  return group !== null && c.get("signedIn").groupIds.includes(group.id) ? group : null;
}
