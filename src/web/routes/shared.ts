import type { Context } from "hono";
import type { Kysely } from "kysely";
import type { Database } from "../../db/database.ts";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import type { Group } from "../../domain/group.ts";
import { type NearQuery, parseNear } from "../../domain/near.ts";
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

/**
 * The `near`/`km` query of a public list page. An empty field is "not
 * given", as for the selects; a value that cannot be read comes back as a
 * problem for the page to state, so nobody takes the whole list for what is
 * near them. `input` is what was typed, for the form to show back.
 */
export function readNearQuery(c: Context): {
  near: NearQuery | undefined;
  nearProblem: string | undefined;
  nearInput: { near: string; km: string };
} {
  const given = (name: string) => {
    const value = c.req.query(name)?.trim();
    return value === undefined || value === "" ? undefined : value.slice(0, 100);
  };
  const parsed = parseNear({ near: given("near"), km: given("km") });
  return {
    near: parsed.ok ? (parsed.near ?? undefined) : undefined,
    nearProblem: parsed.ok ? undefined : parsed.message,
    nearInput: { near: given("near") ?? "", km: given("km") ?? "" },
  };
}
