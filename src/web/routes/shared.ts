import type { Context, MiddlewareHandler } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Kysely } from "kysely";
import type { Database } from "../../db/database.ts";
import { findGroupByHandle, findGroupById } from "../../db/groups.repo.ts";
import { countNewIntakeRequests } from "../../db/intake.repo.ts";
import { findProposal } from "../../db/proposals.repo.ts";
import type { Group } from "../../domain/group.ts";
import { isId } from "../../domain/ids.ts";
import { type NearProblem, type NearQuery, parseNear } from "../../domain/near.ts";
import type { Proposal } from "../../domain/proposal.ts";
import { findNearPlace } from "../../services/places.ts";
import type { InstanceUrls } from "../../urls.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { renderDocument } from "../layout.ts";
import { CONFIRM_STEP_FIELD } from "../pages/confirm-step.ts";
import { MessagePage } from "../pages/message.ts";
import type { WorkspaceView } from "../pages/workspace-page.ts";
import { formBodyLimit, sameOriginForms } from "../request-guards.ts";
import { CSRF_FIELD, requireSignIn } from "../session.ts";

/** A text field of a parsed form; "" when absent or a file. */
export const formField = (form: Record<string, unknown>, name: string): string =>
  typeof form[name] === "string" ? (form[name] as string) : "";

/** What every form POST goes through first: the size limit and storable text, then the same-origin check. */
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

/** The not-found page: also what a group or item the account may not see gets. */
export function notFoundPage(c: Context, urls: InstanceUrls) {
  const { t } = pageContext(c, urls);
  return messagePage(c, urls, t.notFound, t.notFoundText, 404);
}

declare module "hono" {
  interface ContextVariableMap {
    /** Set by `groupCoordinators` on the routes of one group's workspace. */
    group: Group;
  }
}

/** Past this many collectives, the menu leads to the workspace's list of them instead. */
const MENU_GROUPS = 3;

/**
 * Loads what every signed-in page's menu shows: the page's own collective,
 * or the account's (when they are few), each with its untriaged requests.
 */
export function workspaceMenu(deps: WebDeps): MiddlewareHandler {
  return async (c, next) => {
    const { groupIds } = c.get("signedIn");
    const current = c.get("group") as Group | undefined;
    const groups =
      current !== undefined
        ? [current]
        : groupIds.length <= MENU_GROUPS
          ? (await Promise.all(groupIds.map((id) => findGroupById(deps.db, id)))).filter(
              (g): g is Group => g !== null,
            )
          : [];
    const counts = await countNewIntakeRequests(
      deps.db,
      groups.map((g) => g.id),
    );
    c.set(
      "menuGroups",
      groups.map((g) => ({ handle: g.handle, name: g.name, newRequests: counts.get(g.id) ?? 0 })),
    );
    await next();
  };
}

/**
 * What a route of one group's workspace (`/workspace/groups/:handle/…`)
 * goes through: `requireSignIn`, then the group must be one the account
 * coordinates (it is then in `c.get("group")`). Anyone else gets the
 * not-found page, as for a group that does not exist.
 */
export function groupCoordinators(deps: WebDeps) {
  return [requireSignIn(deps), requireCoordinatedGroup(deps), workspaceMenu(deps)] as const;
}

/** What an instance admins' route goes through: to anyone else the page is not there. */
export function instanceAdmins(deps: WebDeps) {
  return [requireSignIn(deps), requireAdmin(deps.urls), workspaceMenu(deps)] as const;
}

function requireCoordinatedGroup(deps: WebDeps): MiddlewareHandler {
  return async (c, next) => {
    const group = await findGroupByHandle(deps.db, c.req.param("handle") ?? "");
    if (group === null || !c.get("signedIn").groupIds.includes(group.id)) {
      return notFoundPage(c, deps.urls);
    }
    c.set("group", group);
    await next();
  };
}

function requireAdmin(urls: InstanceUrls): MiddlewareHandler {
  return async (c, next) => {
    if (!c.get("signedIn").account.isAdmin) return notFoundPage(c, urls);
    await next();
  };
}

/** A live need or offer of the group, by id: null when there is none, or it is another group's. */
export async function liveProposalOf(
  db: Kysely<Database>,
  group: Group,
  id: string,
): Promise<Proposal | null> {
  const found = isId(id) ? await findProposal(db, id) : null;
  return found?.state === "live" && found.proposal.groupId === group.id ? found.proposal : null;
}

/** Who a workspace page is drawn for: the session `requireSignIn` let through. */
export function workspaceView(c: Context, urls: InstanceUrls): WorkspaceView {
  const { account, csrfToken } = c.get("signedIn");
  return { page: pageContext(c, urls), account, csrf: csrfToken };
}

/** A workspace page component rendered for the signed-in account, in the reader's language. */
export function workspaceHtml<P extends WorkspaceView>(
  c: Context,
  urls: InstanceUrls,
  component: (props: P) => Child,
  props: NoInfer<Omit<P, keyof WorkspaceView>>,
  status: ContentfulStatusCode = 200,
) {
  return c.html(renderDocument(component({ ...workspaceView(c, urls), ...props } as P)), status);
}

/**
 * The notice for the `?done=` a form's redirect came back with, when it is
 * one the page knows (own keys only: `?done=constructor` is nothing).
 */
export function doneNotice(
  c: Context,
  notices: Readonly<Record<string, string>>,
): string | undefined {
  const done = c.req.query("done");
  return done !== undefined && Object.hasOwn(notices, done) ? notices[done] : undefined;
}

/**
 * The `near`/`km` query of a public list page. An empty field is "not
 * given", as for the selects; a value that cannot be read comes back as a
 * problem for the page to state, so nobody takes the whole list for what is
 * near them. `input` is what was typed, for the form to show back.
 */
export function readNearQuery(c: Context): {
  near: NearQuery | undefined;
  nearProblem: NearProblem | undefined;
  nearUnknownPlace: string | undefined;
  nearInput: { near: string; km: string };
} {
  const given = (name: string) => {
    const value = c.req.query(name)?.trim();
    return value === undefined || value === "" ? undefined : value.slice(0, 100);
  };
  const parsed = parseNear({ near: given("near"), km: given("km") }, findNearPlace);
  return {
    near: parsed.ok ? (parsed.near ?? undefined) : undefined,
    nearProblem: parsed.ok || parsed.problem.kind === "unknown-place" ? undefined : parsed.problem,
    nearUnknownPlace:
      !parsed.ok && parsed.problem.kind === "unknown-place" ? parsed.problem.name : undefined,
    nearInput: { near: given("near") ?? "", km: given("km") ?? "" },
  };
}

/** What a form whose action needs a ticked box said. */
export type Confirmation =
  | { readonly confirmed: true }
  | {
      readonly confirmed: false;
      /** It came back from the step itself without the box: the step says so. */
      readonly notTicked: boolean;
      /** The form's other fields, for the step to send again. */
      readonly carry: Readonly<Record<string, string>>;
    };

/**
 * Reads the confirmation of a form that cannot be undone. A POST without
 * the ticked box changes nothing: the route shows the step (`ConfirmStepPage`)
 * with the fields it came with, so a list's plain button leads to the step
 * and the step's form to the action.
 */
export function confirmation(form: Record<string, unknown>): Confirmation {
  if (formField(form, "confirm") === "1") return { confirmed: true };
  const carry: Record<string, string> = {};
  for (const [name, value] of Object.entries(form)) {
    if (typeof value !== "string") continue;
    if (name === CSRF_FIELD || name === "confirm" || name === CONFIRM_STEP_FIELD) continue;
    carry[name] = value;
  }
  return { confirmed: false, notTicked: formField(form, CONFIRM_STEP_FIELD) === "1", carry };
}
